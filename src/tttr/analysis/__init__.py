"""Physics on photon streams: traces, lifetimes, FLID, photon statistics, blinking, power laws, g2.

Each module holds one analysis; accumulators consume :class:`~tttr.io.events.PhotonChunk`
objects chunk by chunk, so one streaming pass feeds them all (see :mod:`tttr.pipeline`).
"""
