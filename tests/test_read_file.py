"""readers.read_file: a whole file in a few reads, refused past its limit."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.readers import FIRST_READ_BYTES, read_file

# Sizes around the first read's size and its doublings, where a chunking bug would show.
SIZES = st.sampled_from(
    [0, 1, 4096, FIRST_READ_BYTES - 1, FIRST_READ_BYTES, FIRST_READ_BYTES + 1, 3 * FIRST_READ_BYTES]
) | st.integers(min_value=0, max_value=5 * FIRST_READ_BYTES)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=SIZES, data=st.data())
def test_read_file_returns_every_byte_or_none_past_the_limit(
    tmp_path: Path, size: int, data: st.DataObject
) -> None:
    """The content comes back whole up to the limit, and None once over it."""
    content = os.urandom(size)
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    limit = data.draw(st.none() | st.integers(min_value=0, max_value=6 * FIRST_READ_BYTES))
    result = read_file(path, limit)
    if limit is not None and size > limit:
        assert result is None
    else:
        assert result == content


def test_read_file_reads_a_pipe_past_a_short_read(tmp_path: Path) -> None:
    """A short read is not the end: a FIFO written in two pieces is read whole."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    tail = b"b" * (FIRST_READ_BYTES + 10)

    def writer() -> None:
        # The pause makes the reader's first read return the first piece alone.
        with fifo.open("wb", buffering=0) as handle:
            handle.write(b"a" * 1000)
            time.sleep(0.2)
            handle.write(tail)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert read_file(fifo) == b"a" * 1000 + tail
    finally:
        thread.join()


def test_read_file_raises_for_a_missing_file(tmp_path: Path) -> None:
    """A path that does not exist raises FileNotFoundError, for callers to report."""
    with pytest.raises(FileNotFoundError):
        read_file(tmp_path / "absent.txt")


def test_read_file_reads_on_when_a_file_is_longer_than_its_size() -> None:
    """A regular file whose size says 0 (Linux /proc) is still read whole."""
    proc = Path("/proc/self/status")
    if not proc.is_file() or proc.stat().st_size != 0:
        pytest.skip("no /proc files of size 0 on this platform")
    data = read_file(proc)
    assert data is not None and data.startswith(b"Name:") and data.endswith(b"\n")
    assert read_file(proc, limit=3) is None


def test_read_file_reads_a_small_regular_file_in_one_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One os.read of the file's size and a byte more: no second read to find its end."""
    path = tmp_path / "article.txt"
    path.write_bytes(b"x" * 4321)
    reads: list[int] = []
    real = os.read

    def counted(fd: int, size: int) -> bytes:
        reads.append(size)
        return real(fd, size)

    monkeypatch.setattr(os, "read", counted)
    assert read_file(path, 1 << 20) == b"x" * 4321
    assert reads == [4322]
    assert read_file(path, 4000) is None  # over the limit: not read at all
    assert reads == [4322]
