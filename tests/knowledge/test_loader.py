"""The knowledge base loads, covers every public class id, and rejects broken entries clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge import access_checks, image_access, parse_reference
from knowledge.loader import ENTRIES_DIR, KnowledgeBaseError, load_knowledge_base

# The public contract (docs/error-classes.md): every id here must have an entry, forever.
PUBLIC_CLASS_IDS = {
    "auth-required", "auth-invalid-credentials", "access-denied",
    "pull-access-denied-or-missing", "repository-not-found", "manifest-unknown",
    "no-matching-platform", "rate-limited", "tls-unknown-authority", "tls-hostname-mismatch",
    "tls-expired", "http-response-to-https-client", "dns-resolution", "connection-refused",
    "network-timeout", "proxy-error", "registry-server-error", "blob-unknown-or-upload-failed",
    "digest-or-layer-corrupt", "manifest-invalid-or-unsupported", "payload-too-large",
    "quota-or-storage-exceeded", "tag-immutable", "token-expired", "no-basic-auth-credentials",
    "credential-helper-error", "invalid-reference-format", "short-name-resolution",
    "clock-skew", "disk-full-on-pull", "not-a-registry", "name-invalid", "network-unreachable",
    "network-policy-blocked", "policy-blocked", "registry-read-only",
    "package-not-found", "integrity-mismatch", "registry-misconfigured",
}

GOOD = (ENTRIES_DIR / "no-basic-auth-credentials.toml").read_text()


def test_every_public_class_has_a_valid_entry() -> None:
    kb = load_knowledge_base()
    assert PUBLIC_CLASS_IDS - set(kb.entries) == set()


def test_docs_list_every_class() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "error-classes.md").read_text()
    missing = {cid for cid in PUBLIC_CLASS_IDS if f"`{cid}`" not in docs}
    assert missing == set()


def _load_single(tmp_path: Path, text: str, name: str = "no-basic-auth-credentials") -> None:
    (tmp_path / f"{name}.toml").write_text(text)
    load_knowledge_base(tmp_path)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (re.sub(r"weight = [0-9.]+", "weight = 1.5", GOOD, count=1), "match.pattern.0.weight"),
        (GOOD.replace("'no basic auth credentials'", "'no basic.* credentials'"),
         "unbounded repeat"),
        (GOOD.replace("'no basic auth credentials'", "'no (basic'"), "not a valid regular"),
        (GOOD.replace('title = "', 'titel = "'), "titel"),
        (GOOD.replace("[[steps.verify]]", "[[steps.verified]]"), "steps.verif"),
        (GOOD.replace('family = "ecr"', 'family = "ecr-privat"'), "registry.0.family"),
        (GOOD.replace("id = \"no-basic-auth-credentials\"", "id = \"Not_An_Id\""), "id"),
        (GOOD + "\n[[[oops", "cannot read it as TOML"),
    ],
)
def test_a_broken_entry_names_its_file_and_field(
    tmp_path: Path, broken: str, message: str
) -> None:
    with pytest.raises(KnowledgeBaseError) as caught:
        _load_single(tmp_path, broken)
    assert str(caught.value).startswith("no-basic-auth-credentials.toml: ")
    assert message in str(caught.value)


def test_a_misspelt_field_is_named_as_unknown_and_a_rule_speaks_for_itself(
    tmp_path: Path,
) -> None:
    # The same wording as the settings and the registries file (knowledge.validation).
    with pytest.raises(KnowledgeBaseError) as caught:
        _load_single(tmp_path, GOOD.replace('title = "', 'titel = "'))
    assert "titel: unknown field (check the spelling)" in str(caught.value)
    with pytest.raises(KnowledgeBaseError) as caught:
        _load_single(tmp_path, GOOD.replace("'no basic auth credentials'", "'no (basic'"))
    assert "Value error" not in str(caught.value)


def test_an_entry_must_live_in_a_file_named_for_its_id(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="must match the file name"):
        _load_single(tmp_path, GOOD, name="auth-required")


def test_references_to_unknown_classes_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="no entry has id 'auth-required'"):
        _load_single(tmp_path, GOOD)


def test_the_image_card_s_access_checks_come_from_the_knowledge_base() -> None:
    # Advice lives in data: the image card shows image-access.toml's steps, filled in.
    image = parse_reference("ghcr.io/acme/api:1.2")
    checks = access_checks(image)
    assert [step.text for step in checks][-1] == "See whether a login is stored for ghcr.io."
    assert "skopeo inspect --raw docker://ghcr.io/acme/api:1.2" in checks[0].commands
    assert len(checks) == len(image_access().steps)
