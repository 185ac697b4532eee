"""scripts/fit-weights: weights come from the train split, reproducibly, written in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fit_weights import PRIOR, fitted_weights, main, rewrite
from tests.knowledge.fixtures import Example
from tests.knowledge.kb_builder import build_kb, pattern

ENTRY = """# a comment that must survive
id = "x"

[match]
exclude = []

[[match.pattern]]
regex = 'first'
weight = 0.5  # trailing note

[[match.pattern]]
# a comment inside the table
regex = 'second'
registry_context = true
weight = 0.9

[[steps.confirm]]
text = "weight = 0.1 in prose is not a weight line"
"""


def test_rewrite_changes_only_the_weight_numbers_in_order() -> None:
    after = rewrite(ENTRY, [0.77, 0.33])
    assert after == (ENTRY.replace("weight = 0.5  #", "weight = 0.77  #")
                     .replace("weight = 0.9\n", "weight = 0.33\n"))
    with pytest.raises(ValueError, match="2 pattern tables for 1 weights"):
        rewrite(ENTRY, [0.5])


def test_weights_are_shrunk_precision_on_the_given_texts(tmp_path: Path) -> None:
    kb = build_kb(tmp_path, {
        "alpha": ("", [pattern("alpha words", 0.5), pattern("never seen", 0.5),
                       pattern("hint", 0.5, registry_context=True)]),
        "beta": ("", [pattern("beta words", 0.5)]),
    })
    examples = [
        Example("a1", "alpha", "alpha words"),
        Example("a2", "alpha", "alpha words and a hint"),
        Example("b1", "beta", "beta words and alpha words"),
        Example("n1", None, "chat with a hint"),  # no registry in sight: counts for nothing
    ]
    weights = fitted_weights(kb, examples)
    a, b = PRIOR[False]
    assert weights["alpha"][0] == round((2 + a) / (3 + a + b), 2)
    assert weights["alpha"][1] == round(a / (a + b), 2)
    ctx_a, ctx_b = PRIOR[True]
    assert weights["alpha"][2] == round((1 + ctx_a) / (1 + ctx_a + ctx_b), 2)
    assert weights["beta"][0] == round((1 + a) / (1 + a + b), 2)
    assert fitted_weights(kb, examples) == weights


def test_the_knowledge_base_carries_the_fitted_weights() -> None:
    # After adding examples or patterns, run scripts/fit-weights and commit the entry files.
    assert main(["--check"]) == 0
