"""The public surface: a sorted, complete __all__ and a light import."""

from __future__ import annotations

import subprocess
import sys
import types

import newsingest


def test_all_is_sorted() -> None:
    """__all__ is kept in sorted order."""
    assert newsingest.__all__ == sorted(newsingest.__all__)


def test_all_is_complete() -> None:
    """Every public name defined on the package is in __all__, and every name exists."""
    public = {
        name
        for name, value in vars(newsingest).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public <= set(newsingest.__all__)
    for name in newsingest.__all__:
        assert hasattr(newsingest, name), name


def test_import_does_not_pull_heavy_dependencies() -> None:
    """import newsingest stays fast: no feedparser, httpx, dask, rensa, datasketch, trafilatura."""
    code = (
        "import sys, newsingest\n"
        "heavy = [m for m in ('feedparser', 'httpx', 'dask', 'datasketch', 'rensa', 'trafilatura')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_version_comes_from_package_metadata() -> None:
    """__version__ matches the installed distribution."""
    from importlib.metadata import version

    assert newsingest.__version__ == version("newsingest")
