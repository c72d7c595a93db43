"""reader: a terminal application for reading one news story as many outlets tell it.

The command line lives in :mod:`reader.cli`, the Textual app in :mod:`reader.app`; both are clients
of the headless engine in the ``index`` package.
"""

__version__ = "0.1.0"
