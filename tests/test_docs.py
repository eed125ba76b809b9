"""The code in the documentation runs, and the commands it shows exist.

* Every ``python`` block in ``docs/*.md`` and ``README.md`` is executed with
  Sybil, in order, one namespace per page (blocks with ``>>>`` are doctests).
  Each page runs in a fresh temporary directory holding copies of ``seeds/`` and
  ``examples/feeds/``, so relative paths in the docs work as they do from the
  repository root, and anything a block writes lands in the temporary directory.
* Every doctest in a docstring of the ``newsingest`` package is executed.
* Every ``newsingest …`` command line in a shell block parses with the real
  parser, so the docs cannot show an option the command does not have.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.parsers.myst import PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser
from sybil.parsers.rest import PythonCodeBlockParser as RestPythonCodeBlockParser

from newsingest.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.glob("*.md"), ROOT / "README.md"])
MODULES = sorted((ROOT / "src" / "newsingest").rglob("*.py"))

#: Fence languages a page may use; anything else could hide Python from the tests.
LANGUAGES = {
    "python",
    "sh",
    "text",
    "toml",
    "json",
    "{toctree}",
    "{newsingest-cli}",
    "{include}",
    "{eval-rst}",
}

_FENCE = re.compile(r"^(```+|~~~+)[ \t]*(\S*)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)

markdown = Sybil(parsers=[PythonCodeBlockParser(), SkipParser()], path=str(ROOT))
docstrings = Sybil(
    parsers=[DocTestParser(), RestPythonCodeBlockParser()],
    path=str(ROOT),
    document_types={".py": __import__("sybil.document").document.PythonDocStringDocument},
)


def _workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "seeds", work / "seeds")
    shutil.copytree(ROOT / "examples" / "feeds", work / "examples" / "feeds")
    return work


def _evaluate(sybil: Sybil, path: Path) -> int:
    document = sybil.parse(path)
    examples = list(document.examples())
    for example in examples:
        example.evaluate()
    return len(examples)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page's Python blocks run top to bottom without error."""
    monkeypatch.chdir(_workdir(tmp_path))
    _evaluate(markdown, page)


def test_pages_have_python_to_run() -> None:
    """The collector finds the blocks (a parser change cannot silently test nothing)."""
    counts = {page.name: len(list(markdown.parse(page).examples())) for page in PAGES}
    for name in ("concepts.md", "getting-started.md", "seed-format.md", "recipes.md"):
        assert counts[name] >= 2, counts
    assert counts["README.md"] >= 1


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_fences_use_known_languages(page: Path) -> None:
    """No ``py``/``pycon``/unlabelled block slips past the Python collector."""
    text = page.read_text(encoding="utf-8")
    languages = {match.group(2) for match in _FENCE.finditer(text)}
    allowed = LANGUAGES | {""} if page.name == "README.md" else LANGUAGES  # README: layout tree
    unknown = languages - allowed
    assert not unknown, f"{page.name}: fences in {sorted(unknown)}; use one of {LANGUAGES}"


@pytest.mark.parametrize(
    "module", MODULES, ids=lambda module: str(module.relative_to(ROOT / "src"))
)
def test_docstring_examples_run(module: Path) -> None:
    """Doctests and ``.. code-block:: python`` in the package's docstrings run."""
    _evaluate(docstrings, module)


def test_docstring_doctests_are_found() -> None:
    """The docstring collector sees the doctests that exist (e.g. unwrap_url's)."""
    found = sum(len(list(docstrings.parse(module).examples())) for module in MODULES)
    assert found >= 1


def _command_lines(text: str) -> list[str]:
    """``newsingest …`` invocations in ``sh`` blocks, pipelines and ``&&`` split apart."""
    commands = []
    for match in _FENCE.finditer(text):
        if match.group(2) != "sh":
            continue
        for line in match.group(3).splitlines():
            for part in re.split(r"\s*(?:&&|\|)\s*", line):
                words = shlex.split(part, comments=True)
                if words and Path(words[0]).name == "newsingest":
                    commands.append(shlex.join(words))
    return commands


def test_shell_commands_parse() -> None:
    """Every command line the docs show is accepted by the command's parser."""
    parser = build_parser()
    seen = 0
    for page in PAGES:
        for command in _command_lines(page.read_text(encoding="utf-8")):
            argv = shlex.split(command)[1:]
            try:
                parser.parse_args(argv)
            except SystemExit as error:
                if error.code != 0:
                    pytest.fail(f"{page.name}: `{command}` is rejected by the parser")
            seen += 1
    assert seen >= 5
