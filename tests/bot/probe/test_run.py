"""The front door: JSON shape, audit log, tiers by asker, and what is never sent or shown."""

from __future__ import annotations

import logging

import pytest

from bot.probe import ProbeConfig, Requester, probe_image, to_json
from bot.probe.states import SUMMARY
from bot.probe.verdict import JUDGED_CLASSES
from knowledge.loader import knowledge_base
from knowledge.reference import ImageReference, parse_reference
from tests.bot.probe.conftest import RESOLVER_BUG, MakeConfig
from tests.support.probe_servers import RecordingListener
from tests.support.registries_toml import loopback_entry
from tests.support.registry import Registries

pytestmark = pytest.mark.integration

PROBE_JSON_FIELDS = {"image", "host", "outcome", "evidence", "elapsed_ms"}
EXPLAIN_PROBE_FIELDS = {"verdict", "verdict_reason"}


async def test_json_has_the_contract_fields(registry: Registries, real_config: ProbeConfig) -> None:
    result = await probe_image(
        parse_reference(registry.plain.image("demo/hello")),
        suspected="manifest-unknown",
        config=real_config,
    )
    data = to_json(result)
    assert set(data) >= PROBE_JSON_FIELDS | EXPLAIN_PROBE_FIELDS
    assert data["image"] == f"{registry.plain.host}/demo/hello:latest"
    assert data["host"] == registry.plain.host
    assert data["outcome"] == "manifest-unknown"
    assert data["verdict"] == "confirmed"
    assert isinstance(data["evidence"], list)
    assert all(isinstance(line, str) for line in data["evidence"])
    assert isinstance(data["elapsed_ms"], int)
    assert data["elapsed_ms"] >= 0


async def test_every_probe_is_audited_without_secrets(
    registry: Registries, real_config: ProbeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await probe_image(
        parse_reference(registry.token.image()),
        suspected="auth-required",
        requester=Requester("U123", "CPLATFORM"),
        config=real_config,
    )
    await probe_image(parse_reference("127.0.0.1:1/x/y:z"), config=real_config)
    audit = [r.getMessage() for r in caplog.records if r.name == "bot.probe.audit"]
    assert len(audit) == 2
    first, refused = audit
    for part in (
        "user=U123",
        "channel=CPLATFORM",
        f"image={registry.token.image()}",
        "tier=credentialed",
        "outcome=ok",
        "verdict=confirmed",
    ):
        assert part in first
    assert "user=cli" in refused
    assert "refused=yes" in refused
    everything = caplog.text
    assert registry.token.password is not None
    assert registry.token.password not in everything
    assert "eyJ" not in everything  # no JWT, in any log line of any library


async def test_the_cli_operator_may_use_the_credential(
    registry: Registries, real_config: ProbeConfig
) -> None:
    result = await probe_image(parse_reference(registry.token.image()), config=real_config)
    assert (result.tier, result.outcome) == ("credentialed", "ok")
    assert result.ephemeral


async def test_a_direct_message_gets_the_anonymous_tier(
    registry: Registries, real_config: ProbeConfig
) -> None:
    result = await probe_image(
        parse_reference(registry.token.image()), requester=Requester("U9"), config=real_config
    )
    assert result.tier == "anonymous"
    assert not result.ephemeral


async def test_a_reference_outside_the_grammar_is_never_sent(
    recorder: RecordingListener, make_config: MakeConfig
) -> None:
    host = f"127.0.0.1:{recorder.port}"
    config = make_config(loopback_entry(host))
    for repository, reference in (("Demo/Hello", "v1"), ("demo/../../admin", "v1"), ("a", "v1?x")):
        result = await probe_image(
            ImageReference(host, repository, reference),
            suspected="invalid-reference-format",
            config=config,
        )
        assert (result.outcome, result.verdict) == ("invalid-reference-format", "confirmed")
    assert recorder.connections == 0


async def test_refusal_shape(recorder: RecordingListener) -> None:
    result = await probe_image(
        parse_reference(f"127.0.0.1:{recorder.port}/demo/hello:v1"),
        suspected="auth-required",
        config=ProbeConfig(registries={}),
    )
    data = to_json(result)
    assert data["outcome"] is None
    assert data["verdict"] == "inconclusive"
    assert data["refused"]
    assert data["evidence"] == [
        "not probed: [address]:"
        + str(recorder.port)
        + " is not a registry this bot may probe (not listed)"
    ]


def test_outcomes_and_judged_classes_are_knowledge_base_classes() -> None:
    kb = knowledge_base()
    named = set(SUMMARY) | JUDGED_CLASSES
    # "ok" is the probe's word for a pullable image; every other outcome is a class id.
    assert {class_id for class_id in named if class_id not in kb} == {"ok"}


async def test_an_unexpected_error_is_inconclusive_and_still_audited(
    buggy_config: ProbeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    result = await probe_image(
        parse_reference("registry.corp.example/demo/hello:v1"),
        suspected="auth-required",
        requester=Requester("U123", "C1"),
        config=buggy_config,
    )
    assert (result.outcome, result.verdict, result.refused) == (None, "inconclusive", None)
    assert any("RuntimeError" in line for line in result.evidence)
    [audit] = [r.getMessage() for r in caplog.records if r.name == "bot.probe.audit"]
    assert "user=U123" in audit
    assert "verdict=inconclusive" in audit
    # The operator learns what failed where, but never the error's text (it may hold secrets).
    assert any(
        r.levelno == logging.ERROR and "RuntimeError" in r.getMessage() for r in caplog.records
    )
    assert RESOLVER_BUG not in caplog.text
    assert RESOLVER_BUG not in str(to_json(result))
