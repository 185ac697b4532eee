"""Knowledge-base patterns: linear-time rules and literal anchors."""

from __future__ import annotations

import pytest

from knowledge.patterns import PatternError, anchors, check_pattern


@pytest.mark.parametrize(
    "regex", [r"a.*b", r"x+", r"\s+", r"(ab){1,2000}", r"[a-z]*q"],
)
def test_unbounded_repeats_are_rejected(regex: str) -> None:
    with pytest.raises(PatternError, match="unbounded repeat"):
        check_pattern(regex)


@pytest.mark.parametrize("regex", [r"(a{1,3}){1,4}", r"(?:x\s{0,2}){1,5}"])
def test_nested_repeats_are_rejected(regex: str) -> None:
    with pytest.raises(PatternError, match="nested repeat"):
        check_pattern(regex)


def test_bounded_patterns_pass_unchanged() -> None:
    regex = r"x509: certificate .{0,200}expired"
    assert check_pattern(regex) == regex


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"no basic auth credentials", ("no basic auth credentials",)),
        (r"toomanyrequests|Rate Limit", ("toomanyrequests", "rate limit")),
        (r"(?:manifest unknown|MANIFEST_UNKNOWN)", ("manifest unknown", "manifest_unknown")),
        (r"x509: .{0,100} expired", (" expired",)),
        (r"\b4\d{2}\b", None),
        (r"ab|\d{3}", None),
    ],
)
def test_anchors_are_literals_every_match_contains(
    regex: str, expected: tuple[str, ...] | None
) -> None:
    assert anchors(regex) == expected
