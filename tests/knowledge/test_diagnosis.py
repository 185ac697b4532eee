"""diagnose(): the whole reading of a paste, from raw text to the filled guide."""

from __future__ import annotations

from pathlib import Path

from knowledge.classify import Classifier
from knowledge.diagnosis import diagnose
from tests.knowledge.kb_builder import build_kb, pattern

GHCR_DENIED = (
    'Error response from daemon: Head "https://ghcr.io/v2/acme/api/manifests/1.4.2": '
    "denied: denied"
)
ECR_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
ECR_DNS = (
    f'Error response from daemon: Get "https://{ECR_HOST}/v2/": dial tcp: lookup {ECR_HOST} '
    "on 10.0.0.2:53: no such host"
)
TWO_FAILURES = (
    f"$ docker pull ghcr.io/acme/api:1.4.2\n{GHCR_DENIED}\n"
    f"$ docker pull {ECR_HOST}/web:3\n{ECR_DNS}\n"
)


def test_several_failures_name_the_primary_and_list_the_others() -> None:
    diagnosis = diagnose(TWO_FAILURES)
    assert diagnosis.class_id == "dns-resolution"
    assert [f.class_id for f in diagnosis.others] == ["auth-invalid-credentials"]
    assert diagnosis.others[0].evidence.endswith("denied: denied")


def test_the_guide_and_context_are_about_the_named_failure() -> None:
    diagnosis = diagnose(TWO_FAILURES)
    assert diagnosis.context.registry is not None
    assert diagnosis.context.registry.host == ECR_HOST
    assert str(diagnosis.context.image) == f"{ECR_HOST}/web:3"
    assert diagnosis.guide is not None
    commands = " ".join(c for step in diagnosis.guide.check for c in step.commands)
    assert ECR_HOST in commands
    assert "ghcr.io" not in commands


def test_one_failure_keeps_its_own_image() -> None:
    diagnosis = diagnose(f"$ docker pull ghcr.io/acme/api:1.4.2\n{GHCR_DENIED}")
    assert str(diagnosis.context.image) == "ghcr.io/acme/api:1.4.2"


def test_a_pasted_secret_is_named_never_shown() -> None:
    token = "glpat-" + "Zx8vQ2mN4pL6rT0yW1aB"
    diagnosis = diagnose(f"$ echo {token} | docker login registry.gitlab.com --password-stdin\n"
                         f"{GHCR_DENIED}")
    assert [r.kind for r in diagnosis.redactions] == ["gitlab-token"]
    assert token not in repr(diagnosis)


def test_chat_gets_no_class_and_no_guide() -> None:
    diagnosis = diagnose("the registry migration is scheduled for Tuesday, ping me if denied")
    assert (diagnosis.class_id, diagnosis.guide, diagnosis.confidence) == (None, None, 0.0)


def test_a_registry_named_only_in_the_deciding_url_is_the_one_advised_on() -> None:
    paste = f"$ docker pull ghcr.io/acme/api:1.4.2\n{GHCR_DENIED}\n{ECR_DNS}\n"
    diagnosis = diagnose(paste)
    assert diagnosis.class_id == "dns-resolution"
    assert diagnosis.context.registry is not None
    assert diagnosis.context.registry.host == ECR_HOST
    # No image on that registry is named: the guide says so rather than naming ghcr.io's.
    assert diagnosis.context.image is None
    assert diagnosis.guide is not None
    verify = " ".join(c for step in diagnosis.guide.verify for c in step.commands)
    assert "ghcr.io" not in verify


def test_two_close_causes_are_both_given_with_how_to_tell_them_apart(tmp_path: Path) -> None:
    tell = "[[look_alike]]\nid = 'alpha'\ntell = 'Run `probe` to tell them apart.'"
    kb = build_kb(tmp_path, {
        "alpha": ("", [pattern("shared words", 0.7)]),
        "beta": ("", [pattern("words", 0.65), tell]),
        "gamma": ("", [pattern("elsewhere", 0.9)]),
    })
    close = diagnose("some shared words here", Classifier(kb))
    assert (close.class_id, close.close and close.close.class_id) == ("alpha", "beta")
    assert close.tell_apart == "Run `probe` to tell them apart."
    apart = diagnose("some shared words here\nelsewhere", Classifier(kb))
    assert apart.class_id == "gamma"
    assert apart.close is None
