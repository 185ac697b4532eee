"""Knowledge-base patterns: linear-time rules and literal anchors."""

from __future__ import annotations

import pytest

from knowledge.patterns import PatternError, anchor_groups, check_pattern


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
        (r"no basic auth credentials", [("no basic auth credentials",)]),
        (r"toomanyrequests|Rate Limit", [("toomanyrequests", "rate limit")]),
        (r"(?:manifest unknown|MANIFEST_UNKNOWN)", [("manifest unknown", "manifest_unknown")]),
        (r"x509: .{0,100} (?:expired|not yet valid)",
         [("expired", "not yet valid"), ("x509: ",)]),
        (r"/v2/[^\s]{0,300}: (?:proxyconnect|Proxy Auth)",
         [("proxyconnect", "proxy auth"), ("/v2/",)]),
        (r"(?:ab)?cdef", [("cdef",)]),
        (r"(?:xyz){1,3}", [("xyz",)]),
        (r"\b4\d{2}\b", []),
        (r"abc|\d{3}", []),
    ],
)
def test_anchor_groups_are_literals_every_match_contains(
    regex: str, expected: list[tuple[str, ...]]
) -> None:
    assert list(anchor_groups(regex)) == expected
