"""Answer length: words an on-call engineer reads, over the real examples.

Run from the project root: .venv/bin/python -m bench.answers

For every real example that gets a cause, the short answer (what ``registry-why explain`` and
the Slack reply show) and the full guide (``--full``, the *Show full guide* button) are
rendered for the terminal and their words counted. Figures: median and 90th percentile of each,
and the short answer's as a ratio to the full guide's measured in the same run.
"""

from __future__ import annotations

import statistics
import sys

from bot.render.terminal import render_terminal
from knowledge.diagnosis import diagnose
from tests.knowledge.fixtures import positives

MEDIAN_BUDGET = 120
P90_BUDGET = 180


def words(text: str) -> int:
    """Words as a reader counts them: whitespace-separated, the ``$`` prompt excluded."""
    return sum(1 for word in text.split() if word != "$")


def percentile(values: list[int], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) of ``values``, interpolated like numpy's default."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure() -> tuple[list[int], list[int]]:
    """Word counts of (short answers, full guides) for every named real example."""
    short: list[int] = []
    full: list[int] = []
    for example in positives():
        diagnosis = diagnose(example.text)
        if diagnosis.class_id is None:
            continue
        short.append(words(render_terminal(diagnosis)))
        full.append(words(render_terminal(diagnosis, full=True)))
    return short, full


def main() -> int:
    short, full = measure()
    rows = []
    for name, values in (("short answer", short), ("full guide", full)):
        rows.append((name, statistics.median(values), percentile(values, 0.9), max(values)))
    print(f"answers to {len(short)} real examples (words)")
    print(f"{'':14} {'median':>8} {'p90':>8} {'max':>8}")
    for name, median, p90, biggest in rows:
        print(f"{name:14} {median:8.0f} {p90:8.0f} {biggest:8d}")
    ratio_median, ratio_p90 = rows[0][1] / rows[1][1], rows[0][2] / rows[1][2]
    print(f"short/full ratio: median {ratio_median:.2f}, p90 {ratio_p90:.2f}")
    within = rows[0][1] <= MEDIAN_BUDGET and rows[0][2] <= P90_BUDGET
    print(f"budget (median <= {MEDIAN_BUDGET}, p90 <= {P90_BUDGET}): "
          + ("met" if within else "NOT met"))
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
