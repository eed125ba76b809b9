"""Render the ``newsingest`` command's help into the docs at build time.

The directive ``{newsingest-cli}`` walks :func:`newsingest.cli.build_parser`
and emits one section per command and subcommand (``newsingest``,
``newsingest ingest``, ``newsingest state prune``…), each holding the text
``--help`` prints for it. The CLI reference is therefore generated from the
parser on every build and cannot disagree with the command.

argparse wraps help to the terminal width; the width is fixed here so the
page is the same on every machine.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

#: Columns argparse formats help for (it reads ``COLUMNS``).
HELP_WIDTH = 90


def walk(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Yield ``parser`` and then every subcommand parser below it, depth first."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for sub in action.choices.values():
                if id(sub) in seen:  # aliases map to the same parser
                    continue
                seen.add(id(sub))
                yield from walk(sub)


def help_text(parser: argparse.ArgumentParser, width: int = HELP_WIDTH) -> str:
    """What ``<prog> --help`` prints, formatted for ``width`` columns."""
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        return parser.format_help().rstrip() + "\n"
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _import_parser(spec: str) -> argparse.ArgumentParser:
    module_name, _, function = spec.partition(":")
    module = __import__(module_name, fromlist=[function])
    parser = getattr(module, function)()
    if not isinstance(parser, argparse.ArgumentParser):
        raise TypeError(f"{spec} returned {parser!r}, not an ArgumentParser")
    return parser


class CliReference(SphinxDirective):
    """``{newsingest-cli} module:function`` — one section per (sub)command."""

    required_arguments = 1
    option_spec = {"width": directives.positive_int}  # noqa: RUF012 - docutils API

    def run(self) -> list[nodes.Node]:
        parser = _import_parser(self.arguments[0])
        width = self.options.get("width", HELP_WIDTH)
        sections: list[nodes.Node] = []
        for sub in walk(parser):
            anchor = nodes.make_id(sub.prog)
            section = nodes.section(ids=[anchor], names=[nodes.fully_normalize_name(sub.prog)])
            section += nodes.title(sub.prog, "", nodes.literal(sub.prog, sub.prog))
            if sub.description:
                section += nodes.paragraph(sub.description, sub.description)
            text = help_text(sub, width)
            block = nodes.literal_block(text, text)
            block["language"] = "text"
            section += block
            self.state.document.note_implicit_target(section, section)
            sections.append(section)
        return sections


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``newsingest-cli`` directive."""
    app.add_directive("newsingest-cli", CliReference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
