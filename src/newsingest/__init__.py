"""newsingest: messy news inputs in, clean typed deduplicated Articles out."""

from importlib import metadata as _metadata

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
from newsingest.ingest import IngestRun, RunReport, ingest
from newsingest.model import Article, Provenance
from newsingest.readers import Reader, ReaderRegistry, default_registry

try:
    __version__ = _metadata.version("newsingest")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Article",
    "FetchError",
    "IngestRun",
    "InvalidDateError",
    "InvalidURLError",
    "MissingExtraError",
    "NewsIngestError",
    "NewsIngestWarning",
    "NormalizationError",
    "ParseError",
    "Provenance",
    "Reader",
    "ReaderRegistry",
    "RegistryError",
    "RunReport",
    "SourceError",
    "SourceNotFoundError",
    "UnsupportedSourceError",
    "__version__",
    "default_registry",
    "ingest",
]
