"""The classifier's rules, on small knowledge bases written for each test."""

from __future__ import annotations

from pathlib import Path

from knowledge.classify import NAMED_AT, Classifier
from knowledge.context import Context, Registry
from knowledge.reference import ImageReference
from tests.knowledge.kb_builder import build_kb, pattern

REGISTRY = Context(registry=Registry("ghcr.io", "ghcr"))
NOTHING = Context()


def classify(tmp_path: Path, entries: dict[str, tuple[str, list[str]]], text: str,
             context: Context = REGISTRY) -> list[tuple[str, float]]:
    result = Classifier(build_kb(tmp_path, entries)).classify(text, context)
    return [(c.class_id, c.confidence) for c in result.candidates]


def test_weights_combine_as_independent_evidence(tmp_path: Path) -> None:
    entries = {"alpha": ("", [pattern("first clue", 0.5), pattern("second clue", 0.6)])}
    assert classify(tmp_path, entries, "first clue\nsecond clue") == [("alpha", 0.8)]
    assert classify(tmp_path, entries, "only the first clue") == [("alpha", 0.5)]


def test_an_exclusion_vetoes_the_class(tmp_path: Path) -> None:
    entries = {
        "alpha": ("exclude = ['looks like alpha but is not']", [pattern("looks like alpha", 0.9)]),
    }
    assert classify(tmp_path, entries, "it looks like alpha") == [("alpha", 0.9)]
    assert classify(tmp_path, entries, "it looks like alpha but is not") == []


def test_a_specific_class_overrides_a_general_one(tmp_path: Path) -> None:
    entries = {
        "general": ("", [pattern("unauthorized", 0.9)]),
        "specific": ("overrides = ['general']", [pattern("no creds", 0.9)]),
    }
    ranked = classify(tmp_path, entries, "unauthorized: no creds")
    assert ranked[0] == ("specific", 0.9)
    assert ranked[1][0] == "general"
    assert ranked[1][1] < NAMED_AT


def unasked(tmp_path: Path, entries: dict[str, tuple[str, list[str]]], text: str,
            context: Context = REGISTRY) -> list[tuple[str, float]]:
    result = Classifier(build_kb(tmp_path, entries)).classify(text, context)
    return [(c.class_id, c.unasked) for c in result.candidates]


def test_generic_text_counts_unasked_only_about_a_registry(tmp_path: Path) -> None:
    entries = {"alpha": ("", [pattern("401 unauthorized", 0.9, registry_context=True),
                              pattern("unauthorized: authentication required", 0.5)])}
    # Asked, the text is about a registry by definition; unasked, only when it shows one.
    assert classify(tmp_path, entries, "GET /api 401 Unauthorized", NOTHING) == [("alpha", 0.9)]
    assert unasked(tmp_path, entries, "GET /api 401 Unauthorized", NOTHING) == [("alpha", 0.0)]
    assert unasked(tmp_path, entries, "GET /v2/ 401 Unauthorized") == [("alpha", 0.9)]
    image = Context(images=(ImageReference("docker.io", "library/nginx", "1.25"),))
    assert unasked(tmp_path, entries, "pulling nginx: 401 Unauthorized", image) == [("alpha", 0.9)]
    # ... and only on a line about a registry: a CI log that pulled an image and then failed
    # a call to some other service is not.
    assert unasked(tmp_path, entries, "pulled\napi call: 401 Unauthorized", image) == [
        ("alpha", 0.0)]
    both = "401 Unauthorized\nunauthorized: authentication required"
    assert classify(tmp_path, entries, both, NOTHING) == [("alpha", 0.95)]
    assert unasked(tmp_path, entries, both, NOTHING) == [("alpha", 0.5)]


def test_operation_limited_patterns(tmp_path: Path) -> None:
    entries = {"alpha": ("", [pattern("blob unknown", 0.9, operations=["push"])])}
    pull = Context(registry=Registry("ghcr.io", "ghcr"), operation="pull")
    push = Context(registry=Registry("ghcr.io", "ghcr"), operation="push")
    assert classify(tmp_path, entries, "blob unknown", pull) == []
    assert classify(tmp_path, entries, "blob unknown", push) == [("alpha", 0.9)]


def test_two_unrelated_classes_on_one_line_lower_confidence(tmp_path: Path) -> None:
    entries = {
        "alpha": ("", [pattern("shared words", 0.9)]),
        "beta": ("", [pattern("words", 0.85)]),
    }
    ranked = dict(classify(tmp_path, entries, "some shared words here"))
    assert ranked["alpha"] < 0.9
    separate = dict(classify(tmp_path, entries, "shared stuff\nwords elsewhere"))
    assert separate == {"beta": 0.85}


def test_evidence_is_the_deciding_line_without_wrappers(tmp_path: Path) -> None:
    entries = {"alpha": ("", [pattern("manifest unknown", 0.9)])}
    text = (
        "pulling...\n"
        'Error response from daemon: manifest for ghcr.io/o/a:9 not found: manifest unknown\n'
        "done"
    )
    result = Classifier(build_kb(tmp_path, entries)).classify(text, REGISTRY)
    assert result.candidates[0].evidence == "manifest for ghcr.io/o/a:9 not found: manifest unknown"


def test_a_faint_specific_hint_does_not_bury_a_clear_general_cause(tmp_path: Path) -> None:
    entries = {
        "general": ("", [pattern("anonymous token refused", 0.9)]),
        "specific": ("overrides = ['general']", [pattern("forbidden", 0.4)]),
    }
    ranked = classify(tmp_path, entries, "anonymous token refused: 403 forbidden")
    assert ranked[0] == ("general", 0.9)
    assert ranked[1] == ("specific", 0.4)


def test_a_match_starting_well_before_its_anchors_is_found_in_a_long_paste(
        tmp_path: Path) -> None:
    # The search starts at most a match's width before the first anchor: never too late.
    entries = {"alpha": ("", [pattern(r'/v2/[a-z/]{0,300}: (?:not allowed here|nope)', 0.9)])}
    long_path = "/v2/" + "a/" * 140
    text = "noise line\n" * 5000 + f"GET {long_path}: not allowed here\n" + "more\n" * 5000
    assert classify(tmp_path, entries, text) == [("alpha", 0.9)]
    # Characters that lower-case to two (İ) shift positions in the lowered copy: still found.
    assert classify(tmp_path, entries, "İ" * 3000 + text) == [("alpha", 0.9)]
