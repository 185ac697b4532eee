"""How the load benchmarks report: percentiles and plain-text tables."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank; NaN when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def print_header(columns: Sequence[tuple[str, int]]) -> None:
    """Print a table header, each label right-aligned in its width, and a rule under it."""
    header = " ".join(f"{label:>{width}}" for label, width in columns)
    print(header)
    print("-" * len(header))
