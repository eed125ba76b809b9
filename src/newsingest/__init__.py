"""newsingest: messy news inputs in, clean typed deduplicated Articles out."""

from importlib.metadata import PackageNotFoundError, version

from newsingest.exceptions import (
    FetchError,
    InvalidDateError,
    InvalidURLError,
    MissingExtraError,
    NewsIngestError,
    NewsIngestWarning,
    NormalizationError,
    ParseError,
    RegistryError,
    SourceError,
    SourceNotFoundError,
    UnsupportedSourceError,
)
from newsingest.model import Article, Provenance

try:
    __version__ = version("newsingest")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Article",
    "FetchError",
    "InvalidDateError",
    "InvalidURLError",
    "MissingExtraError",
    "NewsIngestError",
    "NewsIngestWarning",
    "NormalizationError",
    "ParseError",
    "Provenance",
    "RegistryError",
    "SourceError",
    "SourceNotFoundError",
    "UnsupportedSourceError",
    "__version__",
]
