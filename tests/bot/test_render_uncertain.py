"""What an answer says when it is unsure: a close second cause and how to tell the two apart,
or, when no cause can be named, what the paste did show and what to try next."""

from __future__ import annotations

import dataclasses

from bot.render.blocks import render_diagnosis
from bot.render.data import diagnosis_data
from bot.render.terminal import render_terminal
from knowledge.diagnosis import Alternative, Diagnosis, diagnose
from knowledge.loader import knowledge_base
from tests.support.block_kit import validated

EXPIRED_IN_MERGED = (
    "Error response from daemon: pull access denied for 623860924167.dkr.ecr.eu-north-1."
    "amazonaws.com/helpers, repository does not exist or may require 'docker login': denied: "
    "Your authorization token has expired. Reauthenticate and try again."
)
LOGIN_EOF = 'docker login ghcr.io\nError response from daemon: Get "https://ghcr.io/v2/": EOF'


def _with_close(diagnosis: Diagnosis, tell: str | None) -> Diagnosis:
    return dataclasses.replace(
        diagnosis, close=Alternative("auth-required", diagnosis.confidence - 0.05),
        tell_apart=tell)


def test_a_close_second_cause_is_named_with_how_to_tell_them_apart() -> None:
    diagnosis = diagnose(EXPIRED_IN_MERGED)
    assert diagnosis.class_id == "token-expired"
    assert diagnosis.close is not None  # the merged message stays close behind
    close_title = knowledge_base()[diagnosis.close.class_id].title
    tell = "`token has expired` names the expiry; a missing login says nothing of time."
    shown = _with_close(diagnosis, tell)
    for answer in (render_terminal(shown), render_terminal(shown, full=True)):
        assert "Or, almost as likely" in answer
        assert f"To tell them apart: {tell}" in answer
    message = render_diagnosis(shown)
    validated(message.blocks)
    assert any(knowledge_base()["auth-required"].title in str(b) for b in message.blocks)
    assert close_title in render_terminal(diagnosis)


def test_a_lone_cause_has_no_close_line() -> None:
    diagnosis = diagnose("Error response from daemon: Get https://x.example/v2/: "
                         "http: server gave HTTP response to HTTPS client")
    assert diagnosis.close is None
    assert "almost as likely" not in render_terminal(diagnosis)
    assert diagnosis_data(diagnosis)["close"] is None


def test_not_sure_says_what_it_saw_and_what_to_try() -> None:
    diagnosis = diagnose(LOGIN_EOF)
    assert diagnosis.class_id is None
    text = render_terminal(diagnosis)
    assert "I see a `docker login` to ghcr.io that failed" in text
    assert "Try next: Paste the whole error output" in text
    message = render_diagnosis(diagnosis)
    validated(message.blocks)
    assert "ghcr.io" in message.text
    assert "Paste the whole error output" in str(message.blocks)
    data = diagnosis_data(diagnosis)
    assert data["seen"] == "a `docker login` to ghcr.io that failed"
    assert data["try_next"]
    assert data["close"] is None


def test_chat_is_plainly_not_a_registry_error() -> None:
    diagnosis = diagnose("lunch at noon? the usual place")
    assert diagnosis.seen is None
    assert render_terminal(diagnosis).startswith(
        "Not sure: this does not look like a registry error I can name.")
