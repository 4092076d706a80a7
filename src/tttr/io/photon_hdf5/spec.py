"""The Photon-HDF5 0.5 specification facts the reader and the writer rely on.

Every field ``tttr`` writes or accepts, with its kind and the TITLE attribute the
specification prescribes, as checked by phconvert 0.10.2's validator (strict descriptions).

Notes
-----
Kinds: "group"; "string" (scalar byte string); "scalar" (0-d number); "array" (>= 1-d).
Paths under ``photon_data`` are relative to the photon_data group. The tables are data,
not code: a new field is one line here, and the writer's ``_field`` does the rest.
"""

from __future__ import annotations

#: Photon-HDF5 version this module writes.
FORMAT_VERSION = "0.5"
FORMAT_NAME = "Photon-HDF5"
FORMAT_URL = "http://photon-hdf5.org/"

_ROOT_TITLE = "A file format for photon-counting detector based single-molecule spectroscopy experiments."

_ROOT_FIELDS = {
    "acquisition_duration": ("scalar", "Measurement duration in seconds."),
    "description": ("string", "A user-defined comment describing the data file."),
    "format_name": ("string", "Name of the file format."),
    "format_version": ("string", "Version for the Photon-HDF5 format."),
    "photon_data": ("group", "Group containing arrays of photon-data."),
    "setup": ("group", "Information about the experimental setup."),
    "identity": ("group", "Information about the Photon-HDF5 data file."),
    "provenance": ("group", "Information about the original data file."),
    "sample": ("group", "Information about the measured sample."),
}

_PHOTON_DATA_FIELDS = {
    "timestamps": (
        "array",
        "Array of photon timestamps. Units specified in timestamps_units (defined in timestamps_specs/).",
    ),
    "detectors": ("array", "Array of pixel IDs for each timestamp."),
    "nanotimes": (
        "array",
        "TCSPC photon arrival time (nanotimes). Units and other specifications are in nanotimes_specs group.",
    ),
    "timestamps_specs": ("group", "Specifications for timestamps."),
    "timestamps_specs/timestamps_unit": ("scalar", "Value of 1-unit timestamp-increment in seconds."),
    "nanotimes_specs": ("group", "Group for nanotime-specific data."),
    "nanotimes_specs/tcspc_unit": ("scalar", "Value of 1-unit nanotime-increment in seconds (TCSPC bin size)."),
    "nanotimes_specs/tcspc_num_bins": ("scalar", "Number of TCSPC bins."),
    "nanotimes_specs/tcspc_range": ("scalar", "TCSPC full-scale range in seconds."),
    "measurement_specs": (
        "group",
        "Metadata necessary for interpretation of the particular type of measurement.",
    ),
    "measurement_specs/measurement_type": ("string", "Name of the measurement the data represents."),
    "measurement_specs/laser_repetition_rate": (
        "scalar",
        "Repetition rate of the pulsed excitation laser (in Hertz).",
    ),
    "measurement_specs/detectors_specs": ("group", "Mapping between the pixel IDs and the detection channels."),
}

#: TITLE of detectors_specs/split_ch<N>; "{NTH}" is an ordinal (see :func:`_ordinal`).
_SPLIT_CH_TITLE = "Pixel IDs for the {NTH} channel split through a non-polarizing beam splitter."

#: The measurement types of the specification (phconvert 0.10.2's ``valid_meas_types``).
#: None describes an antibunching (HBT) pair by name: it is "generic" data whose detectors
#: are split channels of one spectral band and polarization.
MEASUREMENT_TYPES = ("smFRET", "smFRET-usALEX", "smFRET-usALEX-3c", "smFRET-nsALEX", "generic")

#: The types :class:`~tttr.io.photon_hdf5.writer.PhotonHDF5Writer` can describe completely
#: (the ALEX types also need the alternation periods, which no supported source states).
WRITABLE_MEASUREMENT_TYPES = ("generic", "smFRET")


def channel_title(feature: str, n: int) -> str:
    """TITLE of ``detectors_specs/<feature>_ch<n>`` (feature: spectral, polarization, split).

    Notes
    -----
    The specification's templates, expanded as phconvert 0.10.2's validator does: the
    spectral channels 1 and 2 also name their smFRET role (donor, acceptor).
    """
    nth = _ordinal(n)
    if feature == "split":
        return _SPLIT_CH_TITLE.replace("{NTH}", nth)
    if feature == "polarization":
        return f"Pixel IDs for the {nth} polarization channel."
    if feature == "spectral":
        role = {1: " (i.e. donor in a 2-color smFRET measurement)", 2: " (i.e. acceptor in a 2-color smFRET measurement)"}
        return f"Pixel IDs for the {nth} spectral channel{role.get(n, '')}."
    raise ValueError(f"unknown detectors_specs feature {feature!r}")

_SETUP_FIELDS = {
    # mandatory structure: computed by the writer, never taken from the caller
    "num_pixels": ("scalar", "Total number of detector pixels."),
    "num_spots": ("scalar", 'Number of excitation (or detection) "spots" in the sample.'),
    "num_spectral_ch": ("scalar", "Number of distinct spectral bands which are acquired."),
    "num_polarization_ch": ("scalar", "Number of distinct polarization states which are acquired."),
    "num_split_ch": (
        "scalar",
        "Number of distinct detection channels detecting the same spectral band and polarization. "
        "This value is > 1 when using a non-polarizing beam splitter.",
    ),
    "modulated_excitation": (
        "scalar",
        "True (i.e. 1) if there is any form of excitation modulation of excitation wavelength "
        "(as in us-ALEX or PAX) or polarization. This field is also True for pulse-interleaved "
        "excitation (PIE) or ns-ALEX measurements.",
    ),
    "excitation_alternated": (
        "array",
        "New in version 0.5. Indicates whether each excitation source is alternated (True, or 1) "
        "or not alternated (False, or 0).",
    ),
    "lifetime": (
        "scalar",
        "True (i.e. 1) if the measurement includes a nanotimes array of photon arrival times with "
        "respect to a laser pulse (as in TCSPC measurements).",
    ),
    "excitation_cw": (
        "array",
        "For each excitation source, this field indicates whether excitation is continuous wave (CW), "
        "True (i.e. 1), or pulsed, False (i.e. 0).",
    ),
    "laser_repetition_rates": ("array", "Repetition rates in Hz for each laser. CW lasers have a value of 0."),
    "detectors": (
        "group",
        "Metadata relative to each detector's pixel. Each field is an array with size equal to the "
        "number of the detectors.",
    ),
    "detectors/id": ("array", "Detector IDs as they appear on /photon_data/detectors."),
    "detectors/counts": ("array", "Total number of counts detected by each detector."),
}

#: Optional /setup fields a caller may give (``setup=`` of the writer).
_SETUP_OPTIONAL = {
    "excitation_wavelengths": (
        "array",
        "List of excitation wavelengths (center wavelength if broad-band) in increasing order (unit: meter).",
    ),
    "detection_wavelengths": ("array", "Reference wavelengths (units: meter) for each detected spectral band."),
    "excitation_polarizations": ("array", "List of polarization angles (in degrees) for each excitation source."),
    "excitation_input_powers": (
        "array",
        "Excitation power in Watts for each excitation source. This is the excitation power entering "
        "the optical system.",
    ),
    "excitation_intensity": (
        "array",
        "Excitation intensity in the sample for each excitation source (units: Watt/meter^2). In the "
        "case of confocal excitation this is the peak PSF intensity.",
    ),
    "detection_polarizations": ("array", "Polarization angles (in degrees) for each detected polarization."),
    "detection_split_ch_ratios": (
        "array",
        'Power fraction detected by each "beam-split" channel (i.e. independent detection channels '
        "obtained through a non-polarizing beam splitter).",
    ),
}

#: /identity fields the writer fills itself.
_IDENTITY_AUTO = {
    "filename": (
        "string",
        "Original file name of the current Photon-HDF5 file (i.e. file name at creation time).",
    ),
    "filename_full": (
        "string",
        "Original file name (with full path) of the current Photon-HDF5 file (i.e. full file name at creation time).",
    ),
    "creation_time": ("string", "Creation time of the current Photon-HDF5 file."),
    "software": ("string", "Name of the software used to create the current Photon-HDF5 file."),
    "software_version": ("string", "Version of the software used to create current the Photon-HDF5 file."),
    "format_name": ("string", "Name of the file format."),
    "format_version": ("string", "Version for the Photon-HDF5 format."),
    "format_url": ("string", "Official URL for the Photon-HDF5 format."),
}

#: /identity fields a caller may give (``identity=``).
_IDENTITY_OPTIONAL = {
    "author": ("string", "Author of the current data file."),
    "author_affiliation": ("string", "Company or institution the author is affiliated with."),
    "creator": ("string", "Creator of the current Photon-HDF5 file."),
    "creator_affiliation": ("string", "Company or institution the creator is affiliated with."),
    "url": ("string", "URL that allow to download the Photon-HDF5 data file."),
    "doi": ("string", "Digital Object Identifier (DOI) for the Photon-HDF5 data file."),
    "funding": ("string", "A description of funding sources and/or grants used to produce the data."),
    "license": ("string", "The license under which the data is released."),
}

_PROVENANCE_FIELDS = {
    "filename": ("string", "File name of the original data file before conversion to Photon-HDF5."),
    "filename_full": (
        "string",
        "File name (with full path) of the original data file before conversion to Photon-HDF5.",
    ),
    "creation_time": ("string", "Creation time of the original data file."),
    "modification_time": ("string", "Time of last modification of the original data file."),
    "software": ("string", "Software used to save the original data file."),
    "software_version": ("string", "Version of the software used to save the original data file."),
}

_SAMPLE_FIELDS = {
    "num_dyes": ("scalar", "Number of different dyes present in the samples."),
    "dye_names": ("string", "String containing a comma-separated list of dye or fluorophore names."),
    "buffer_name": ("string", "A descriptive name for the buffer."),
    "sample_name": ("string", "A descriptive name for the sample."),
}

# Ordinals as phconvert 0.10.2's validator expands "{NTH}" (its TITLE check is verbatim,
# so split_ch3 must say "thrid" there; beyond ten it appends st/nd/rd or nothing).
_NTH_WORDS = {
    1: "first", 2: "second", 3: "thrid", 4: "fourth", 5: "fifth",
    6: "sixth", 7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth",
}  # fmt: skip
_NTH_SUFFIX = {1: "st", 2: "nd", 3: "rd"}


def _ordinal(n: int) -> str:
    if n in _NTH_WORDS:
        return _NTH_WORDS[n]
    return f"{n}{_NTH_SUFFIX.get(n % 10, '')}"

