"""Derive every pattern's weight from the train split and write it into the entry files.

Run from the project root: scripts/fit-weights [--check]

A weight reads "how often is a text this pattern matches really of this class". For each
pattern this counts, over the *train* split only (tests/knowledge/fixtures.py):

- agree: real errors of the pattern's class it matches;
- disagree: real errors of another class it matches (unless that class overrides this one: the
  override already settles those), and real negatives it matches where it counts unasked
  (a registry-only hint on chat with no registry in sight counts for nothing);

and sets ``weight = (agree + a) / (agree + disagree + a + b)``: the observed precision, pulled
towards a fixed prior (``PRIOR``; weaker for registry-only hints) so a pattern seen twice does
not claim certainty. The same corpus always gives the same weights. Only the number on each
``weight = `` line changes; comments, order and layout of the TOML stay as written. The
held-out split is never read.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.classify import Classifier
from knowledge.extract import extract_context
from knowledge.loader import ENTRIES_DIR, KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from knowledge.paste import read_paste
from tests.knowledge.fixtures import Example, negatives, positives, real

PRIOR = {False: (1.6, 0.4), True: (1.0, 1.0)}
"""Pseudo-counts (a, b) by ``registry_context``: a specific pattern starts at 0.8 as if seen
twice, a registry-only hint at 0.5."""

LOWEST, HIGHEST = 0.05, 0.99
"""No pattern is worthless (it was written for a reason) or beyond doubt."""

_WEIGHT_LINE = re.compile(r"^(weight[ \t]*=[ \t]*)([0-9.]+)(.*)$", re.MULTILINE)
_PATTERN_TABLE = "[[match.pattern]]"


@dataclass
class Tally:
    """What one pattern matched on the train split."""

    agree: int = 0
    disagree: int = 0


def tally(kb: KnowledgeBase, examples: Sequence[Example]) -> dict[tuple[str, int], Tally]:
    """Count, per (entry id, pattern index), the train texts it matched right and wrong."""
    classifier = Classifier(kb)
    overriders: dict[str, set[str]] = {}
    for entry in kb:
        for overridden in entry.match.overrides:
            overriders.setdefault(overridden, set()).add(entry.id)
    counts = {(e.id, i): Tally() for e in kb for i in range(len(e.match.patterns))}
    for example in examples:
        text = read_paste(example.text).text
        for entry_id, fired in classifier.fired(text, extract_context(text)).items():
            for hit in fired:
                count = counts[entry_id, hit.index]
                if example.expect == entry_id:
                    count.agree += 1
                elif example.expect is None:
                    count.disagree += hit.unasked
                elif example.expect not in overriders.get(entry_id, ()):
                    count.disagree += 1
    return counts


def fitted_weights(kb: KnowledgeBase, examples: Sequence[Example]) -> dict[str, list[float]]:
    """The weight of every pattern, by entry id, in file order."""
    counts = tally(kb, examples)
    weights: dict[str, list[float]] = {}
    for entry in kb:
        weights[entry.id] = []
        for index, pattern in enumerate(entry.match.patterns):
            a, b = PRIOR[pattern.registry_context]
            count = counts[entry.id, index]
            precision = (count.agree + a) / (count.agree + count.disagree + a + b)
            weights[entry.id].append(round(min(HIGHEST, max(LOWEST, precision)), 2))
    return weights


def rewrite(text: str, weights: Sequence[float]) -> str:
    """``text`` (an entry file) with the n-th pattern's ``weight = `` set to ``weights[n]``."""
    parts = text.split(_PATTERN_TABLE)
    if len(parts) - 1 != len(weights):
        raise ValueError(f"{len(parts) - 1} pattern tables for {len(weights)} weights")
    out = [parts[0]]
    for part, weight in zip(parts[1:], weights, strict=True):
        # Only the table's own lines: the next table header ends it.
        table_end = part.find("\n[")
        table, rest = (part, "") if table_end < 0 else (part[:table_end], part[table_end:])
        table, replaced = _WEIGHT_LINE.subn(rf"\g<1>{weight}\g<3>", table, count=1)
        if replaced != 1:
            raise ValueError("a [[match.pattern]] table without a weight line")
        out.append(table + rest)
    return _PATTERN_TABLE.join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Fit and write the weights; with --check, only say whether the files are up to date."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a weight differs from the fitted one")
    parser.add_argument("--entries", type=Path, default=ENTRIES_DIR)
    args = parser.parse_args(argv)
    try:
        kb = load_knowledge_base(args.entries)
    except KnowledgeBaseError as exc:
        print(f"fit-weights: the knowledge base is broken: {exc}", file=sys.stderr)
        return 3
    train = [*real(positives(), "train"), *real(negatives(), "train")]
    weights = fitted_weights(kb, train)
    changed: Counter[str] = Counter()
    for entry in kb:
        path = args.entries / f"{entry.id}.toml"
        before = path.read_text(encoding="utf-8")
        after = rewrite(before, weights[entry.id])
        if after != before:
            changed[entry.id] = sum(
                old.weight != new for old, new in zip(entry.match.patterns, weights[entry.id],
                                                      strict=True))
            if not args.check:
                path.write_text(after, encoding="utf-8")
    verb = "differ" if args.check else "changed"
    print(f"{len(train)} train texts; {sum(changed.values())} weights {verb} in "
          f"{len(changed)} entries", file=sys.stderr)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
