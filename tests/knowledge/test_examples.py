"""Every real example names its class confidently; no negative gets a class."""

from __future__ import annotations

from collections import Counter

import pytest

from knowledge.diagnosis import diagnose
from knowledge.loader import knowledge_base
from tests.knowledge.fixtures import Example, negatives, positives

AUTO_REPLY = 0.8
"""The default confidence at which the Slack bot replies unasked: positives must reach it."""

MIN_EXAMPLES = 3


@pytest.mark.parametrize("example", positives(), ids=lambda e: e.name)
def test_positive_names_its_class(example: Example) -> None:
    diagnosis = diagnose(example.text)
    assert (diagnosis.class_id, diagnosis.confidence >= AUTO_REPLY) == (example.expect, True), (
        f"got {diagnosis.class_id} at {diagnosis.confidence}; "
        f"alternatives {diagnosis.alternatives}; evidence {diagnosis.evidence!r}"
    )


@pytest.mark.parametrize("example", negatives(), ids=lambda e: e.name)
def test_negative_gets_no_class(example: Example) -> None:
    diagnosis = diagnose(example.text)
    assert diagnosis.class_id is None, (
        f"named {diagnosis.class_id} at {diagnosis.confidence}: {diagnosis.evidence!r}"
    )


def test_every_class_has_enough_real_examples() -> None:
    counts = Counter(example.expect for example in positives())
    thin = {e.id: counts[e.id] for e in knowledge_base() if counts[e.id] < MIN_EXAMPLES}
    assert thin == {}, f"classes with fewer than {MIN_EXAMPLES} examples"
