"""Interleaved rounds: how the benchmarks time several measures on a shared machine.

A machine whose speed drifts during a run favours whichever measure ran at its fast
moment. Running every measure once per round, in turn, puts each through the same
drift; a measure's best round is its figure and its median shows how much it moved.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


def rounds_arg(text: str) -> int:
    """argparse type for ``--rounds``: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def interleaved(
    measures: Mapping[str, Callable[[], T]],
    rounds: int,
    before: Callable[[], None] = lambda: None,
) -> dict[str, list[tuple[float, T]]]:
    """Run every measure once per round, in order; ``before`` runs ahead of each one.

    Returns each measure's ``(seconds, result)`` per round: the result is what the
    measure returned, for checks that every run produced the same output.
    """
    runs: dict[str, list[tuple[float, T]]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            before()
            start = time.perf_counter()
            result = measure()
            runs[name].append((time.perf_counter() - start, result))
    return runs
