"""Sphinx configuration for the newsingest documentation.

Pages are MyST Markdown; the API reference comes from the docstrings (Google
style, read by napoleon); the CLI reference is rendered from
``newsingest.cli.build_parser()`` by the local ``cli_reference`` extension, so it
cannot drift from the command. Build with warnings as errors::

    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

from newsingest import __version__

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "newsingest"
author = "newsingest developers"
copyright = "newsingest developers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "cli_reference",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Google-style docstrings. Attributes become ``:ivar:`` fields rather than
# ``.. attribute::`` entries: attrs classes also expose each field as a class
# member, and documenting both would describe every field twice.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "furo"
html_title = f"newsingest {release}"
