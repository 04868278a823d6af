"""Trader App: a desktop trading terminal for many broker and exchange accounts.

Layers (imports only go downward): ``ui -> app services -> core``. See the README and
``DESIGN.md`` for the map of packages.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("trader-app")
except PackageNotFoundError:  # running from a source tree or a frozen bundle without metadata
    __version__ = "0.1.0"

__all__ = ["__version__"]
