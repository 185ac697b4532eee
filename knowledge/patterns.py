"""Rules for the regular expressions in the knowledge base, and their literal anchors.

Patterns come from data files that anyone on call may edit, and they run over pasted text of
any size. Two rules keep every scan linear in the size of the paste: every repeat has an upper
bound (``.{0,200}``, not ``.*``), and no repeat contains another repeat. A pattern that breaks
a rule is rejected when the knowledge base loads, with a message that says how to fix it.

Each pattern also yields its *anchors*: literal strings, at least one of which must occur in
any text the pattern matches. The classifier looks for anchors with plain substring search
(fast, in C) and runs only the regular expressions whose anchors are present.
"""

from __future__ import annotations

import re

# re._parser is the parser behind re.compile; the public sre_parse alias warns on import.
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from knowledge.errors import KnowledgeError

MAX_BOUND = 1000
"""The largest repeat bound a pattern may use."""

MIN_ANCHOR = 3
"""Shorter literals are too common to be worth a substring search."""

_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


class PatternError(KnowledgeError):
    """A knowledge-base pattern that could make classification slow or cannot compile."""


def check_pattern(regex: str) -> str:
    """Validate a knowledge-base pattern; return it unchanged or raise PatternError."""
    try:
        re.compile(regex, re.IGNORECASE)
        tree = sre_parse.parse(regex, re.IGNORECASE)
    except re.error as exc:
        raise PatternError(f"not a valid regular expression ({exc}): {regex!r}") from exc
    _check_repeats(tree, regex, inside_repeat=False)
    return regex


def anchor_groups(regex: str) -> tuple[tuple[str, ...], ...]:
    """Literals a match of ``regex`` must contain, as groups of lower-case alternatives.

    Every match contains at least one literal of every group: ``x509: .{0,9}(?:expired|not
    yet valid)`` gives ``(("x509: ",), ("expired", "not yet valid"))``. An empty result means
    no useful literal exists and the pattern must always be run.
    """
    return tuple(_groups(list(sre_parse.parse(regex, re.IGNORECASE))))


def max_width(regex: str) -> int:
    """The longest text a match of ``regex`` can span (finite: every repeat is bounded)."""
    return int(sre_parse.parse(regex, re.IGNORECASE).getwidth()[1])


def _check_repeats(items: Any, regex: str, *, inside_repeat: bool) -> None:
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            _low, high, body = arg
            if high == sre_parse.MAXREPEAT or high > MAX_BOUND:
                raise PatternError(
                    f"unbounded repeat in {regex!r}: give every repeat an upper bound of at most "
                    f"{MAX_BOUND}, for example .{{0,200}} instead of .* and \\s{{1,10}} instead "
                    "of \\s+"
                )
            if inside_repeat:
                raise PatternError(
                    f"nested repeat in {regex!r}: a repeated group must not contain another "
                    "repeat; spell the inner part out or bound the whole"
                )
            _check_repeats(body, regex, inside_repeat=True)
        elif name == "SUBPATTERN":
            _check_repeats(arg[-1], regex, inside_repeat=inside_repeat)
        elif name == "BRANCH":
            for branch in arg[1]:
                _check_repeats(branch, regex, inside_repeat=inside_repeat)
        elif name in {"ASSERT", "ASSERT_NOT"}:
            _check_repeats(arg[1], regex, inside_repeat=inside_repeat)


def _groups(items: list[Any]) -> list[tuple[str, ...]]:
    groups: list[tuple[str, ...]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= MIN_ANCHOR:
            groups.append(("".join(run),))
        run.clear()

    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg).lower())
            continue
        flush()
        if name == "SUBPATTERN":
            groups.extend(_groups(list(arg[-1])))
        elif name in _REPEATS and arg[0] >= 1:
            groups.extend(_groups(list(arg[2])))
        elif name == "BRANCH":
            either = _either(arg[1])
            if either:
                groups.append(either)
    flush()
    # The longest literal first: it is the rarest, so a missing one is found soonest.
    return sorted(groups, key=lambda group: -min(len(a) for a in group))


def _either(branches: list[Any]) -> tuple[str, ...]:
    """One literal per branch of an alternation, or () when some branch has none."""
    found: list[str] = []
    for branch in branches:
        groups = _groups(list(branch))
        if not groups:
            return ()
        found.extend(groups[0])
    return tuple(dict.fromkeys(found))
