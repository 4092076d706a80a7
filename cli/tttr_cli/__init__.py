"""The ``tttr`` command: a thin click layer over the :mod:`tttr` API."""
