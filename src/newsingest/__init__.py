"""newsingest: messy news inputs in, clean typed deduplicated Articles out.

The public surface lives here; implementation modules are imported from it.
``import newsingest`` stays light: feedparser, httpx, trafilatura, rensa and
dask are imported only by the code paths that need them.
"""

from newsingest._version import __version__
from newsingest.dedup import (
    Deduplicator,
    Duplicate,
    MemoryStore,
    SeenStore,
    SQLiteStore,
    content_key,
    open_store,
    title_key,
)
from newsingest.exceptions import (
    FetchError,
    HydrationError,
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
    StoreError,
    UnsupportedSourceError,
    WorkerError,
)
from newsingest.hydrate import hydrate
from newsingest.ingest import ingest
from newsingest.model import Article, Provenance
from newsingest.normalize import (
    ParsedDate,
    canonical_url,
    normalize_text,
    parse_date,
    url_key,
)
from newsingest.pipeline.normalise import normalise_article
from newsingest.pipeline.output import IngestRun
from newsingest.pipeline.policy import RunReport
from newsingest.readers import Reader, ReaderRegistry, default_registry
from newsingest.sinks import JsonlWriter

__all__ = [
    "Article",
    "Deduplicator",
    "Duplicate",
    "FetchError",
    "HydrationError",
    "IngestRun",
    "InvalidDateError",
    "InvalidURLError",
    "JsonlWriter",
    "MemoryStore",
    "MissingExtraError",
    "NewsIngestError",
    "NewsIngestWarning",
    "NormalizationError",
    "ParseError",
    "ParsedDate",
    "Provenance",
    "Reader",
    "ReaderRegistry",
    "RegistryError",
    "RunReport",
    "SQLiteStore",
    "SeenStore",
    "SourceError",
    "SourceNotFoundError",
    "StoreError",
    "UnsupportedSourceError",
    "WorkerError",
    "__version__",
    "canonical_url",
    "content_key",
    "default_registry",
    "hydrate",
    "ingest",
    "normalise_article",
    "normalize_text",
    "open_store",
    "parse_date",
    "title_key",
    "url_key",
]
