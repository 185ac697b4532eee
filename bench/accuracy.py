"""Per-class precision and recall of the classifier on the test fixtures.

Run from the project root: .venv/bin/python -m bench.accuracy

Positives are the documented and captured messages in tests/fixtures (examples/, captured/);
negatives (tests/fixtures/negatives.toml) count against a class when they get one.
"""

from __future__ import annotations

from collections import Counter

from knowledge.diagnosis import diagnose
from knowledge.loader import knowledge_base
from tests.knowledge.fixtures import negatives, positives


def main() -> None:
    true_pos: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    false_neg: Counter[str] = Counter()
    for example in [*positives(), *negatives()]:
        got = diagnose(example.text).class_id
        if got == example.expect and got is not None:
            true_pos[got] += 1
            continue
        if got is not None:
            false_pos[got] += 1
        if example.expect is not None:
            false_neg[example.expect] += 1

    print(f"{'class':<34}{'n':>4}{'precision':>11}{'recall':>8}")
    for entry in knowledge_base():
        cid = entry.id
        found = true_pos[cid] + false_pos[cid]
        actual = true_pos[cid] + false_neg[cid]
        precision = f"{true_pos[cid] / found:.2f}" if found else "-"
        recall = f"{true_pos[cid] / actual:.2f}" if actual else "-"
        print(f"{cid:<34}{actual:>4}{precision:>11}{recall:>8}")
    total_tp = sum(true_pos.values())
    total_found = total_tp + sum(false_pos.values())
    total_actual = total_tp + sum(false_neg.values())
    print(f"{'all':<34}{total_actual:>4}{total_tp / max(total_found, 1):>11.2f}"
          f"{total_tp / max(total_actual, 1):>8.2f}")
    named_negatives = sum(1 for e in negatives() if diagnose(e.text).class_id is not None)
    print(f"negatives given a class: {named_negatives} of {len(negatives())}")


if __name__ == "__main__":
    main()
