"""Articles into a pandas DataFrame, one row per article.

What it shows: ``Article.to_dict()`` is JSON-safe and flat enough for
``pandas.DataFrame``; the nested provenance becomes columns with
``pandas.json_normalize``. The example ingests the seed and the two shipped
feeds, keeps ``published`` as a timezone-aware UTC column, adds the number of
body segments, and summarises articles by reader and by day.

Needs pandas (``pip install pandas``; it is part of the ``dev`` extra).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from newsingest import ingest

ROOT = Path(__file__).resolve().parent.parent


def articles_frame(sources: list[Path]) -> pd.DataFrame:
    """Ingest ``sources`` and return one row per kept article."""
    records = [article.to_dict() for article in ingest(sources)]
    frame = pd.json_normalize(records, sep=".")
    frame["published"] = pd.to_datetime(frame["published"], utc=True)
    frame["segments"] = frame["body"].map(len)
    return frame


def main() -> None:
    frame = articles_frame([ROOT / "seeds", ROOT / "examples" / "feeds"])
    columns = ["published", "published_precision", "source.reader", "segments", "title"]
    with pd.option_context("display.width", 160, "display.max_colwidth", 48):
        print(frame[columns].sort_values("published").to_string(index=False))
        print()
        print("articles by reader:")
        print(frame.groupby("source.reader").size().to_string())
        print()
        print("articles by day (UTC):")
        print(frame.groupby(frame["published"].dt.date).size().to_string())
    print()
    print(f"published is {frame['published'].dtype}; {len(frame)} rows, {frame.shape[1]} columns")


if __name__ == "__main__":
    main()
