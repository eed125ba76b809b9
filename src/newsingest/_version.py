"""The installed version, read from package metadata (kept apart to avoid import cycles)."""

from importlib import metadata

__all__ = ["__version__"]

try:
    __version__ = metadata.version("newsingest")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
