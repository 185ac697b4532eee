"""mask_secrets against peers' own test vectors: gitleaks' rules and detect-secrets' plugins.

The vectors are data in tests/fixtures/secrets/ (extracted by the scripts next to it, with
their source, commit and licence). Each true positive is pasted into a registry error three
ways, as people paste them: assigned in a shell (``export TOKEN=...``), bare inside a log line,
and on its own line as the peer wrote it. A false positive is pasted once, as written: after
``export TOKEN=`` anything is a token. gitleaks' vectors come from the rules that matter in
registry pastes (the list is in the extraction script).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from knowledge.secrets import mask_secrets

FIXTURES = Path(__file__).parents[1] / "fixtures" / "secrets"

ERROR = (
    "$ docker pull ghcr.io/acme/api:1.4\n"
    'Error response from daemon: Head "https://ghcr.io/v2/acme/api/manifests/1.4": '
    "unauthorized: authentication required\n"
)
WAYS = {
    "export": "export TOKEN={v}\n",
    "log line": '2026-11-27T17:08:12Z level=debug msg="retrying pull" credential {v} after 401\n',
    "as written": "{v}\n",
}

TP_RATE = 0.95
FP_RATE = 0.10
DETECT_SECRETS_TP_RATE = 0.85
# detect-secrets' examples that fit a masker: realistic values. Its aws_key, artifactory and
# basic_auth examples are filler ("AKIAZZZZ...", "AP6xxxx", "username:password") that the
# masker deliberately leaves alone, and its private_key examples have no key in them. Its
# false positives test exact lengths and prefixes of detectors; a masker should mask a token
# of a slightly wrong length all the same, so they are not used.
DETECT_SECRETS_FIT = frozenset(
    {"azure_storage_key", "github_token", "gitlab_token", "jwt", "npm", "openai",
     "pypi_token", "slack", "stripe_key"}
)


@cache
def _vectors(name: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert data["source"].startswith("https://github.com/")
    assert data["licence"]
    return list(data["vectors"])


def _masked(vector: dict[str, Any], way: str) -> bool:
    """Whether the vector's secret is masked when pasted ``way`` into a registry error."""
    paste = ERROR + WAYS[way].replace("{v}", vector["text"])
    masked, redactions = mask_secrets(paste)
    if not redactions or not masked.startswith(ERROR):
        return False  # nothing masked, or the error itself was damaged
    # gitleaks' "sample" vectors are the bare secret: none of it may be left.
    return not (vector.get("form", "").startswith("sample") and vector["text"] in masked)


def _trials(vectors: list[dict[str, Any]], expect: str) -> Iterator[tuple[dict[str, Any], str]]:
    # A rule's false positive that another rule lists as a true positive (an Anthropic admin
    # key under the API-key rule) is a credential all the same: a masker must mask it.
    true = {vector["text"] for vector in vectors if vector["expect"] == "tp"}
    for vector in vectors:
        if vector["expect"] == expect and not (expect == "fp" and vector["text"] in true):
            for way in WAYS if expect == "tp" else ("as written",):
                yield vector, way


def _report(misses: list[tuple[dict[str, Any], str]]) -> str:
    return "\n".join(f"{v['rule']} ({way}): {v['text'][:120]!r}" for v, way in misses)


def test_the_vectors_are_there_with_their_attribution() -> None:
    gitleaks = _vectors("gitleaks.json")
    assert len(gitleaks) > 400
    assert {v["expect"] for v in gitleaks} == {"tp", "fp"}
    assert all(v["file"].startswith("cmd/generate/config/rules/") for v in gitleaks)
    assert len(_vectors("detect_secrets.json")) > 50


def test_gitleaks_true_positives_are_masked() -> None:
    trials = list(_trials(_vectors("gitleaks.json"), "tp"))
    misses = [(v, way) for v, way in trials if not _masked(v, way)]
    rate = 1 - len(misses) / len(trials)
    assert rate >= TP_RATE, f"{rate:.1%} of {len(trials)} masked; missed:\n{_report(misses)}"


def test_gitleaks_false_positives_are_left_alone() -> None:
    trials = list(_trials(_vectors("gitleaks.json"), "fp"))
    masked = [(v, way) for v, way in trials if _masked(v, way)]
    rate = len(masked) / len(trials)
    assert rate <= FP_RATE, f"{rate:.1%} of {len(trials)} masked:\n{_report(masked)}"


def test_detect_secrets_examples_are_masked() -> None:
    fit = [v for v in _vectors("detect_secrets.json") if v["rule"] in DETECT_SECRETS_FIT]
    trials = [(v, "as written") for v in fit if v["expect"] == "tp"]
    misses = [(v, way) for v, way in trials if not _masked(v, way)]
    rate = 1 - len(misses) / len(trials)
    assert rate >= DETECT_SECRETS_TP_RATE, (
        f"{rate:.1%} of {len(trials)} masked; missed:\n{_report(misses)}"
    )


@pytest.mark.parametrize("way", list(WAYS))
def test_each_way_of_pasting_masks_most_true_positives(way: str) -> None:
    # No way of pasting may carry the overall rate: each stands on its own.
    vectors = [v for v in _vectors("gitleaks.json") if v["expect"] == "tp"]
    misses = [v for v in vectors if not _masked(v, way)]
    assert len(misses) / len(vectors) <= 0.10, _report([(v, way) for v in misses])
