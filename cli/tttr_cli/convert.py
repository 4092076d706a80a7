"""``tttr convert FILE OUT.h5``: any supported file to Photon-HDF5 (spec 0.5)."""

from __future__ import annotations

import click

from .options import names_the_file, reader_kwargs, reader_options


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.argument("out", type=click.Path(path_type=str))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@reader_options
@names_the_file
def convert(file, out, force, **kwargs):
    """Convert FILE to Photon-HDF5 at OUT (streamed; markers and T2 sync events kept under /user/tttr)."""
    import tttr
    from tttr.io.photon_hdf5 import write_photon_hdf5

    stream = tttr.open(file, **reader_kwargs(kwargs))
    write_photon_hdf5(out, stream, force=force)
    click.echo(f"wrote {out}", err=True)
