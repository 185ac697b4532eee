"""The image-reference parser against distribution/reference's own test tables (as data).

``tests/fixtures/distribution-reference/cases.json`` holds the tables, with their source. Each
row says which Go function or expression it checks (``via``); this project's one parser follows
``ParseNormalizedNamed`` (Docker's reading: ``nginx`` is ``docker.io/library/nginx``), so:

- ``Parse``: the same inputs are valid, with the same tag and digest (``Parse`` does not
  normalise, so its domain split is not compared);
- ``ParseNormalizedNamed``: valid or not, and the domain and path where the table gives them
  (hosts compared as this project keeps them: lower case, ``index.docker.io`` as ``docker.io``);
- ``ParseAnyReference``: the reference reads the same as its fully written equivalent;
- ``ParseDockerRef``: the same host, repository and reference (digest, else tag);
- ``anchoredDomainRegexp``: ``is_valid_host``;
- ``anchoredNameRegexp``: a name matches when it parses as a repository alone;
- ``referenceRegexp``: valid or not, with the same tag and digest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from knowledge.reference import InvalidReference, is_valid_host, normalize_host, parse_reference

VECTORS = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "distribution-reference" / "cases.json")
    .read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = VECTORS["cases"]


def _id(case: dict[str, Any]) -> str:
    text = case["input"]
    return f"{case['table']}:{text if len(text) <= 60 else text[:40] + f'...({len(text)})'}"


def test_the_tables_are_attributed() -> None:
    assert VECTORS["source"] == "https://github.com/distribution/reference"
    assert VECTORS["licence"].startswith("Apache-2.0")
    assert {c["file"] for c in CASES} == set(VECTORS["files"])
    assert len(CASES) > 250


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_agrees_with_distribution_reference(case: dict[str, Any]) -> None:
    via, text = case["via"], case["input"]
    if via == "anchoredDomainRegexp":
        assert is_valid_host(text) is case["match"]
        return
    if via == "anchoredNameRegexp":
        try:
            ref = parse_reference(text)
        except InvalidReference:
            assert not case["match"]
            return
        assert (ref.tag is None and ref.digest is None) is case["match"]
        return
    valid = case["match"] if via == "referenceRegexp" else case["valid"]
    if not valid:
        with pytest.raises(InvalidReference):
            parse_reference(text)
        return
    ref = parse_reference(text)
    if via in ("Parse", "referenceRegexp"):
        assert (ref.tag, ref.digest) == (case["tag"], case["digest"])
    if "domain" in case and via == "ParseNormalizedNamed":
        assert (ref.host, ref.repository) == (normalize_host(case["domain"]), case["path"])
    if via == "ParseAnyReference":
        assert ref == parse_reference(case["equivalent"])
    if via == "ParseDockerRef":
        expected = parse_reference(case["expected"])
        assert (ref.host, ref.repository, ref.reference) == (
            expected.host, expected.repository, expected.reference)


@pytest.mark.parametrize("case", VECTORS["excluded"], ids=_id)
def test_rows_left_out_are_read_as_their_reason_says(case: dict[str, Any]) -> None:
    text = case["input"]
    if text.startswith("validname@sha512:"):
        assert parse_reference(text).digest == text.partition("@")[2]
    elif text.startswith("sha256:"):
        ref = parse_reference(text)
        assert (ref.repository, ref.tag) == ("library/sha256", text.partition(":")[2])
    else:  # a bare image ID; a name over the length limit
        with pytest.raises(InvalidReference):
            parse_reference(text)
