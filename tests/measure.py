"""Run the command in a child process and measure what the whole run cost."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import attrs

# A small parent that runs the command and reports its child's peak RSS: the
# measurement covers the command alone, not pytest's own memory.
_MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys, time
    started = time.monotonic()
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True, stdin=sys.stdin)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(done.returncode, peak, round(time.monotonic() - started, 3))
    sys.stderr.write(done.stderr)
    """
)


@attrs.frozen
class Measured:
    status: int  # the command's exit status
    peak_mb: int  # its peak resident memory
    seconds: float  # its wall time
    stderr: str


def run_cli(*args: str, stdin: object = None, timeout: float = 240) -> Measured:
    """``python -m newsingest ARGS`` in a child, with ``stdin`` (an open file) as its input."""
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "newsingest", *args]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
    )
    status, peak, seconds = done.stdout.split()
    return Measured(int(status), int(peak), float(seconds), done.stderr)
