"""Run the ``newsingest`` command the way a user does: a child process of this Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def newsingest(
    *args: str,
    stdin: str | bytes | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m newsingest ARGS``: exit status, stdout and stderr as text (never raises
    on a non-zero status; a run longer than ``timeout`` seconds is a test failure)."""
    text = stdin.decode("utf-8") if isinstance(stdin, bytes) else stdin
    return subprocess.run(
        [sys.executable, "-m", "newsingest", *args],
        capture_output=True,
        text=True,
        input=text,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
