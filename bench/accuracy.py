"""How often registry-why names the right cause, measured on the held-out split.

Run from the project root: .venv/bin/python -m bench.accuracy [--split held-out|train] [--misses]

The held-out split (tests/knowledge/fixtures.py: a keyed hash of each example's source) is
never tuned on; train figures are printed separately, for comparison. Container-registry and
package-registry errors are measured apart (the package ones also per ecosystem), each against
every real negative of the split, so a pattern written for one kind that fires on the other's
chat shows in both. Figures:

- asked: someone asked (slash command, mention, CLI): named right, named wrong, silent;
- unasked: a paste in a channel: answered (and answered right) at the auto-reply
  confidence, and real negatives (chat, unrelated errors) answered;
- per-class precision and recall of the asked reading (a real negative named when asked
  counts against the class it was given);
- reliability: the stated confidence, in bands, against how often it was right, and the
  expected calibration error (the count-weighted mean gap between the two).
Hand-written negatives (no source) are unit-test data and count nowhere here.
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from knowledge.diagnosis import UNASKED_THRESHOLD, diagnose
from knowledge.loader import knowledge_base
from tests.knowledge.fixtures import Example, Split, negatives, positives, real

Kind = Literal["container", "package"]

BANDS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001)
"""Confidence bands of the reliability table (the last one holds 1.0)."""


@dataclass(frozen=True)
class Outcome:
    """What the classifier said about one real text."""

    expect: str | None
    got: str | None
    confidence: float
    unasked: bool
    name: str
    ecosystem: str = "oci"

    @property
    def right(self) -> bool:
        return self.got is not None and self.got == self.expect


@dataclass(frozen=True)
class Figures:
    """The headline figures of one split."""

    positives: int
    asked_right: float
    asked_wrong: float
    asked_silent: float
    unasked_answered: float
    unasked_right: float
    negatives: int
    negatives_answered: float
    negatives_named_asked: float
    ece: float


def run(examples: Sequence[Example]) -> list[Outcome]:
    """Diagnose every example once."""
    found = []
    for example in examples:
        diagnosis = diagnose(example.text)
        found.append(Outcome(example.expect, diagnosis.class_id, diagnosis.confidence,
                             diagnosis.answer_unasked(UNASKED_THRESHOLD), example.name,
                             example.ecosystem))
    return found


def reliability(named: Sequence[Outcome]) -> list[tuple[float, float, int, float, float]]:
    """Per band: (low, high, count, mean stated confidence, observed accuracy)."""
    rows = []
    for low, high in itertools.pairwise(BANDS):
        band = [o for o in named if low <= o.confidence < high]
        if band:
            rows.append((low, min(high, 1.0), len(band),
                         sum(o.confidence for o in band) / len(band),
                         sum(o.right for o in band) / len(band)))
    return rows


def expected_calibration_error(named: Sequence[Outcome]) -> float:
    """Count-weighted mean |stated - observed| over the reliability bands."""
    if not named:
        return 0.0
    return sum(n * abs(stated - seen) for _lo, _hi, n, stated, seen in reliability(named)) / len(
        named)


def figures(pos: Sequence[Outcome], neg: Sequence[Outcome]) -> Figures:
    """The headline figures from the outcomes of one split."""
    n, m = max(len(pos), 1), max(len(neg), 1)
    named = [o for o in pos if o.got is not None]
    return Figures(
        positives=len(pos),
        asked_right=sum(o.right for o in pos) / n,
        asked_wrong=sum(o.got is not None and not o.right for o in pos) / n,
        asked_silent=sum(o.got is None for o in pos) / n,
        unasked_answered=sum(o.unasked for o in pos) / n,
        unasked_right=sum(o.unasked and o.right for o in pos) / n,
        negatives=len(neg),
        negatives_answered=sum(o.unasked for o in neg) / m,
        negatives_named_asked=sum(o.got is not None for o in neg) / m,
        ece=expected_calibration_error(named),
    )


def measure(split: Split, kind: Kind = "container") -> tuple[Figures, list[Outcome],
                                                             list[Outcome]]:
    """Run the classifier over one split's real errors of one kind and all its real negatives."""
    pos = run([e for e in real(positives(), split) if e.package == (kind == "package")])
    neg = run(real(negatives(), split))
    return figures(pos, neg), pos, neg


def per_ecosystem(pos: Sequence[Outcome]) -> list[tuple[str, int, int]]:
    """Per ecosystem, most examples first: (ecosystem, errors, named right when asked)."""
    counts = Counter(o.ecosystem for o in pos)
    right = Counter(o.ecosystem for o in pos if o.right)
    return [(eco, n, right[eco]) for eco, n in counts.most_common()]


def _per_class(pos: Sequence[Outcome], neg: Sequence[Outcome]) -> None:
    true_pos: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    actual: Counter[str] = Counter(o.expect for o in pos if o.expect)
    for o in [*pos, *neg]:
        if o.right:
            true_pos[o.got or ""] += 1
        elif o.got is not None:
            false_pos[o.got] += 1
    print(f"{'class':<34}{'n':>4}{'precision':>11}{'recall':>8}")
    for entry in knowledge_base():
        cid = entry.id
        found = true_pos[cid] + false_pos[cid]
        precision = f"{true_pos[cid] / found:.2f}" if found else "-"
        recall = f"{true_pos[cid] / actual[cid]:.2f}" if actual[cid] else "-"
        print(f"{cid:<34}{actual[cid]:>4}{precision:>11}{recall:>8}")


def _report(split: Split, detail: bool, misses: bool) -> None:
    for kind in ("container", "package"):
        result, pos, neg = measure(split, kind)
        print(f"== {split}, {kind} registries: {result.positives} real errors, "
              f"{result.negatives} real negatives ==")
        print(f"asked:    named right {result.asked_right:6.1%}   wrong {result.asked_wrong:6.1%}"
              f"   silent {result.asked_silent:6.1%}")
        print(f"unasked:  answered at {UNASKED_THRESHOLD} {result.unasked_answered:6.1%}"
              f"   answered right {result.unasked_right:6.1%}")
        print(f"negatives: answered unasked {result.negatives_answered:6.1%}"
              f"   named when asked {result.negatives_named_asked:6.1%}")
        if kind == "package":
            print("  ".join(f"{eco} {right}/{n}" for eco, n, right in per_ecosystem(pos)))
        named = [o for o in pos if o.got is not None]
        print(f"expected calibration error: {result.ece:.3f}")
        print(f"{'confidence':<14}{'count':>6}{'stated':>8}{'observed':>10}")
        for low, high, count, stated, seen in reliability(named):
            print(f"{low:.2f}-{high:.2f}    {count:>6}{stated:>8.2f}{seen:>10.2f}")
        if detail:
            _per_class(pos, neg)
        if misses:
            # Negatives are the same for both kinds: list their misses once.
            for o in [*pos, *(neg if kind == "container" else [])]:
                if not o.right and (o.expect is not None or o.unasked):
                    print(f"  {o.name}: expected {o.expect}, got {o.got} ({o.confidence:.2f}"
                          f"{', unasked' if o.unasked else ''})")
        print()


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures of the held-out split (and, separately, of the train split)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["held-out", "train", "both"], default="both")
    parser.add_argument("--misses", action="store_true", help="list every miss (train only)")
    args = parser.parse_args(argv)
    splits: list[Split] = ["held-out", "train"] if args.split == "both" else [args.split]
    for split in splits:
        # Listing held-out misses would invite tuning on them one by one.
        _report(split, detail=True, misses=args.misses and split == "train")


if __name__ == "__main__":
    main()
