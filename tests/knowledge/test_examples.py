"""The real corpus: every train example is named right; the held-out split keeps its figures.

Train examples (the split patterns and weights are tuned on) must each be named right when
asked. Held-out examples are never looked at one by one: they are
held to regression floors on the split as a whole, set from the measured figures minus a small
margin, so a change that makes the classifier worse on unseen text fails here.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.accuracy import measure
from knowledge.diagnosis import UNASKED_THRESHOLD, diagnose
from knowledge.loader import knowledge_base
from tests.knowledge.fixtures import (
    Example,
    negatives,
    normalise_source,
    positives,
    real,
    split_of,
)

MIN_EXAMPLES = 3

HELD_OUT_ASKED_RIGHT = 0.92
"""Floor: held-out errors named right when asked (measured 0.946 on 352, 2026-12-02)."""
HELD_OUT_UNASKED_RIGHT = 0.88
"""Floor: held-out errors answered, and right, at the auto-reply confidence (measured 0.906)."""
HELD_OUT_NEGATIVES_ANSWERED = 0.015
"""Ceiling: held-out real negatives answered unasked (measured 0.008, 2 of 262; the goal is
0.01)."""
HELD_OUT_ECE = 0.05
"""Ceiling: held-out expected calibration error (measured 0.030)."""

HELD_OUT_PACKAGE_ASKED_RIGHT = 0.85
"""Floor: held-out package-registry errors named right when asked (the goal of issue 13;
measured 0.906 on 181, 2026-12-02)."""
HELD_OUT_PACKAGE_UNASKED_RIGHT = 0.72
"""Floor: held-out package-registry errors answered, and right, unasked (measured 0.762)."""
HELD_OUT_PACKAGE_ECE = 0.12
"""Ceiling: held-out package-registry expected calibration error (measured 0.075)."""
MIN_PACKAGE_HELD_OUT = 100


KNOWN_TRAIN_MISSES = {
    "access-denied[28]": "Quay's `not authorized` after a login the paste shows: access-denied by "
                         "the labelling rules, but the classifier does not read the login",
    "packages/go[26]": "a 400 from a sumdb proxied through the registry: registry-misconfigured "
                       "is read off the URL's shape, no message says it",
    "packages/go[36]": "a private module looked up in sum.golang.org: the visible error is git's "
                       "refused connection; the missing GOPRIVATE is the reader's inference",
    "packages/npm[5]": "the token is shown only in the reporter's prose above the E401",
    "packages/npm[21]": "npm's own `is not in the npm registry` for a registry URL that is a "
                        "GitHub page: only the URL says the registry setting is wrong",
    "packages/npm[29]": "a 403 whose body says `Missing authorization`: the server's wording, "
                        "not a client's, decides auth-required",
    "packages/npm[40]": "ECONNREFUSED to a local port whose only sign of a proxy is "
                        "https-proxy-agent in the stack trace",
    "packages/npm[123]": "a credential helper's `Done!` before the E401 is what shows a token "
                         "was configured",
    "packages/pypi[40]": "`Failed to parse` an index URL whose user name holds an @: no client "
                         "message names the cause",
}
"""Train examples no pattern should be bent to fit, and why. Strict: once one is named right,
its line here must go."""


def _train_cases() -> list[object]:
    return [
        pytest.param(e, marks=pytest.mark.xfail(strict=True, reason=KNOWN_TRAIN_MISSES[e.name]))
        if e.name in KNOWN_TRAIN_MISSES else e
        for e in real(positives(), "train")
    ]


@pytest.mark.parametrize("example", _train_cases(), ids=lambda e: getattr(e, "name", ""))
def test_train_example_is_named_right(example: Example) -> None:
    diagnosis = diagnose(example.text)
    assert diagnosis.class_id == example.expect, (
        f"got {diagnosis.class_id} at {diagnosis.confidence} (unasked "
        f"{diagnosis.unasked_confidence}); alternatives {diagnosis.alternatives}; "
        f"evidence {diagnosis.evidence!r}"
    )


@pytest.mark.parametrize(
    "example", [e for e in negatives() if e.split != "held-out"], ids=lambda e: e.name
)
def test_negative_is_not_answered_unasked(example: Example) -> None:
    diagnosis = diagnose(example.text)
    assert not diagnosis.answer_unasked(UNASKED_THRESHOLD), (
        f"would answer {diagnosis.class_id} at {diagnosis.unasked_confidence}: "
        f"{diagnosis.evidence!r}"
    )


def test_held_out_figures_hold() -> None:
    result, _pos, _neg = measure("held-out")
    assert result.positives >= 100, "the held-out split is too small to measure anything"
    assert result.asked_right >= HELD_OUT_ASKED_RIGHT
    assert result.unasked_right >= HELD_OUT_UNASKED_RIGHT
    assert result.negatives_answered <= HELD_OUT_NEGATIVES_ANSWERED
    assert result.ece <= HELD_OUT_ECE


def test_held_out_package_figures_hold() -> None:
    result, pos, _neg = measure("held-out", "package")
    assert result.positives >= MIN_PACKAGE_HELD_OUT, "too few held-out package errors"
    assert {o.ecosystem for o in pos} >= {"npm", "pypi", "maven", "nuget", "helm", "go",
                                          "cargo", "rubygems"}
    assert result.asked_right >= HELD_OUT_PACKAGE_ASKED_RIGHT
    assert result.unasked_right >= HELD_OUT_PACKAGE_UNASKED_RIGHT
    assert result.negatives_answered <= HELD_OUT_NEGATIVES_ANSWERED
    assert result.ece <= HELD_OUT_PACKAGE_ECE


def test_package_examples_say_their_ecosystem() -> None:
    ecosystems = {"npm", "pypi", "maven", "nuget", "helm", "go", "cargo", "rubygems"}
    package = [e for e in [*positives(), *negatives()] if e.name.startswith("packages/")]
    assert package, "the package corpus is read"
    assert {e.ecosystem for e in package} <= ecosystems
    assert all(not e.package for e in positives() if not e.name.startswith("packages/"))


def test_split_is_by_source_and_about_a_third() -> None:
    examples = [e for e in [*positives(), *negatives()] if e.source]
    assert all(e.split == split_of(e.source or "") for e in examples)
    held_out = sum(e.split == "held-out" for e in examples) / len(examples)
    assert 0.2 <= held_out <= 0.4
    # Every link to one thread is one source, so a thread never straddles the split.
    issue = "https://github.com/containerd/containerd/issues/4567"
    for link in (issue + "#issuecomment-1", issue + "/", "docs: " + issue + "?x=1"):
        assert normalise_source(link) == normalise_source(issue)
        assert split_of(link) == split_of(issue)
    assert normalise_source("https://forums.docker.com/t/some-topic/12345/7") == (
        "forums.docker.com/t/some-topic/12345")


def test_hand_written_negatives_stay_out_of_the_figures() -> None:
    synthetic = [e for e in negatives() if e.source is None]
    assert synthetic, "negatives.toml still holds the hand-written unit-test texts"
    assert all(e.split == "synthetic" for e in synthetic)
    assert not [e for e in real(negatives(), "held-out") + real(negatives(), "train")
                if e.source is None]


def test_every_class_has_enough_real_examples() -> None:
    counts = Counter(example.expect for example in positives())
    thin = {e.id: counts[e.id] for e in knowledge_base() if counts[e.id] < MIN_EXAMPLES}
    assert thin == {}, f"classes with fewer than {MIN_EXAMPLES} examples"
