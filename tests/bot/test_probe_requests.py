"""What a click or a command may probe, and probing it for a Slack user (real registries)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from bot.metrics import REGISTRY
from bot.probe import PackageProbeResult, ProbeCache, ProbeConfig, Requester, load_registries
from bot.probe_requests import (
    COMMAND_USAGE,
    MISMATCHED_BUTTON,
    PACKAGE_USAGE,
    STALE_BUTTON,
    NotProbed,
    Prober,
    ProbeTarget,
    command_argument,
    package_request,
    probe_values,
    target_from_button,
    target_from_command,
    target_of,
)
from bot.render.blocks import render_diagnosis, render_image
from bot.render.button_state import pack
from bot.slack.ids import ACTION_PROBE
from knowledge.diagnosis import diagnose
from knowledge.reference import parse_reference
from tests.bot.probe.test_package_probe import package_entry
from tests.support.package_registries import RunningVerdaccio
from tests.support.pastes import (
    DOCKER_HUB_RATE_LIMIT,
    ECR_IMAGE,
    ECR_PULL_SESSION,
    captured_package_output,
)
from tests.support.registries_toml import FAST_LIMITS, loopback_entry, token_entry
from tests.support.registry import Registries


def probes_counted(outcome: str) -> float:
    """The probe counter on /metrics for one outcome."""
    return REGISTRY.get_sample_value("registry_why_probes_total", {"outcome": outcome}) or 0.0


@pytest.fixture
def config(registry: Registries, tmp_path: Path) -> ProbeConfig:
    """The plain registry (no auth) and the token registry with its pull account."""
    path = tmp_path / "registries.toml"
    path.write_text("\n".join((
        FAST_LIMITS + "user_probes_per_hour = 3\n",
        loopback_entry(registry.plain.host),
        token_entry(registry, password_env="TOKEN_PASSWORD", channel="CPLATFORM"),
    )))
    assert registry.token.password is not None
    return load_registries(path, environ={"TOKEN_PASSWORD": registry.token.password})


def missing_tag_paste(image: str) -> str:
    return (f"Error response from daemon: manifest for {image} not found: "
            "manifest unknown: manifest unknown")


def test_a_click_probes_the_image_and_class_of_its_reply() -> None:
    diagnosis = diagnose(ECR_PULL_SESSION)
    reply = render_diagnosis(diagnosis, probe=True).blocks
    [value] = probe_values(reply)
    target = target_from_button(value, reply)
    assert isinstance(target, ProbeTarget)
    assert target.image == parse_reference(ECR_IMAGE)
    assert target.suspected == "no-basic-auth-credentials"
    assert target.diagnosis is not None
    assert target.diagnosis.class_id == target.suspected


def test_an_image_card_button_probes_its_image_without_judging_anything() -> None:
    card = render_image(parse_reference("ghcr.io/acme/billing:1.2"), "ghcr", probe=True).blocks
    target = target_from_button("ghcr.io/acme/billing:1.2", card)
    assert target == ProbeTarget(parse_reference("ghcr.io/acme/billing:1.2"))


def test_a_value_that_is_not_the_replys_own_is_not_probed() -> None:
    reply = render_diagnosis(diagnose(ECR_PULL_SESSION), probe=True).blocks
    other = diagnose(missing_tag_paste("169.254.169.254/latest/meta-data:x"))
    assert other.context.image is not None
    assert target_from_button(pack(other), reply) == NotProbed(MISMATCHED_BUTTON)
    assert target_from_button("169.254.169.254/x:1", reply) == NotProbed(MISMATCHED_BUTTON)
    # A reply that lost its button (edited, or another app's message) vouches for nothing.
    assert target_from_button(next(iter(probe_values(reply))), []) == NotProbed(
        MISMATCHED_BUTTON)


def test_an_ephemeral_click_needs_a_value_the_bot_could_have_made() -> None:
    assert target_from_button('{"c": "no-such-class", "p": 1}', None) == NotProbed(STALE_BUTTON)
    assert target_from_button("not a reference!", None) == NotProbed(STALE_BUTTON)
    without_image = pack(diagnose(DOCKER_HUB_RATE_LIMIT))
    refused = target_from_button(without_image, None)
    assert isinstance(refused, NotProbed)
    assert "names no image" in refused.reason
    target = target_from_button(pack(diagnose(ECR_PULL_SESSION)), None)
    assert isinstance(target, ProbeTarget)
    assert str(target.image) == ECR_IMAGE


def test_probe_buttons_are_found_only_by_their_action_id() -> None:
    blocks: list[dict[str, Any]] = [{"type": "actions", "elements": [
        {"type": "button", "action_id": "feedback_helpful", "value": "x/y:1"},
        {"type": "button", "action_id": ACTION_PROBE, "value": "a/b:2"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": "c/d:3"}}]
    assert probe_values(blocks) == {"a/b:2"}


@pytest.mark.parametrize(("text", "argument"), [
    ("probe ghcr.io/a/b:1", "ghcr.io/a/b:1"),
    ("  PROBE   ghcr.io/a/b:1 ", "ghcr.io/a/b:1"),
    ("probe", ""),
    ("probes are fun", None),
    ("ghcr.io/a/b:1", None),
    ("Error: probe failed", None),
])
def test_the_probe_subcommand_is_recognised(text: str, argument: str | None) -> None:
    assert command_argument(text) == argument


def test_the_command_probes_exactly_the_reference_it_names() -> None:
    assert target_from_command("ghcr.io/a/b:1") == ProbeTarget(parse_reference("ghcr.io/a/b:1"))
    # Slack turns a typed host into a link; what was typed is probed, not the link.
    linked = target_from_command("<http://ghcr.io/a/b:1|ghcr.io/a/b:1>")
    assert linked == ProbeTarget(parse_reference("ghcr.io/a/b:1"))
    assert target_from_command("") == NotProbed(COMMAND_USAGE)
    two = target_from_command("ghcr.io/a/b:1 quay.io/c/d:2")
    assert isinstance(two, NotProbed)
    assert "one image reference" in two.reason
    bad = target_from_command("ghcr.io/a/B:1")
    assert isinstance(bad, NotProbed)
    assert "not an image reference" in bad.reason


def test_a_token_typed_into_the_command_is_not_echoed_back() -> None:
    token = "ghp_" + "R3alLook1ngT0kenAbcdefghijklmnopqrst12"
    answer = target_from_command(f"ghcr.io/acme/app:1?token={token}")
    assert isinstance(answer, NotProbed)
    assert token not in answer.reason
    assert "[REDACTED github-token]" in answer.reason


def test_only_uncredentialed_probes_show_openly(config: ProbeConfig,
                                                 registry: Registries) -> None:
    prober = Prober(config, ProbeCache())
    plain = ProbeTarget(parse_reference(registry.plain.image()))
    token = ProbeTarget(parse_reference(registry.token.image()))
    elsewhere = ProbeTarget(parse_reference("10.1.2.3:5000/demo/hello:v1"))
    assert prober.shows_openly(plain, Requester("U1", "CPLATFORM"))
    assert not prober.shows_openly(token, Requester("U1", "CPLATFORM"))
    assert prober.shows_openly(token, Requester("U1", "CRANDOM"))
    assert not prober.shows_openly(elsewhere, Requester("U1", "CPLATFORM"))


async def test_probing_a_missing_tag_confirms_the_paste(config: ProbeConfig,
                                                        registry: Registries) -> None:
    diagnosis = diagnose(missing_tag_paste(registry.plain.image("demo/hello:nope")))
    assert diagnosis.context.image is not None
    target = ProbeTarget(diagnosis.context.image, diagnosis.class_id, diagnosis)
    probes_before = probes_counted("manifest-unknown")
    result = await Prober(config, ProbeCache()).probe(target, Requester("U1", "C1"))
    assert (result.outcome, result.verdict) == ("manifest-unknown", "confirmed")
    assert not result.ephemeral
    assert probes_counted("manifest-unknown") == probes_before + 1


async def test_probing_an_existing_tag_refutes_a_missing_tag_paste(
    config: ProbeConfig, registry: Registries
) -> None:
    diagnosis = diagnose(missing_tag_paste(registry.plain.image("demo/hello:v1")))
    assert diagnosis.context.image is not None
    target = ProbeTarget(diagnosis.context.image, diagnosis.class_id, diagnosis)
    result = await Prober(config, ProbeCache()).probe(target, Requester("U1", "C1"))
    assert (result.outcome, result.verdict) == ("ok", "refuted")


async def test_a_credentialed_probe_is_marked_private(config: ProbeConfig,
                                                      registry: Registries) -> None:
    target = ProbeTarget(parse_reference(registry.token.image()))
    result = await Prober(config, ProbeCache()).probe(target, Requester("U1", "CPLATFORM"))
    assert result.outcome == "ok"
    assert result.ephemeral


async def test_the_per_user_rate_limit_refuses_politely(config: ProbeConfig,
                                                        registry: Registries) -> None:
    prober = Prober(config, ProbeCache())
    target = ProbeTarget(parse_reference(registry.plain.image()))
    for _ in range(3):
        assert (await prober.probe(target, Requester("U1", "C1"))).refused is None
    limited = await prober.probe(target, Requester("U1", "C1"))
    assert limited.refused is not None
    assert "3 probes within an hour" in limited.refused
    assert (await prober.probe(target, Requester("U2", "C1"))).refused is None


# -- packages --------------------------------------------------------------------------------


def test_a_click_on_a_package_reply_probes_its_package_at_its_registry() -> None:
    diagnosis = diagnose(captured_package_output("pnpm", "pnpm_missing_package_add"))
    reply = render_diagnosis(diagnosis, probe=True).blocks
    [value] = probe_values(reply)
    for blocks in (reply, None):  # in a channel, and on an ephemeral reply
        target = target_from_button(value, blocks)
        assert isinstance(target, ProbeTarget)
        assert target.image is None
        assert target.package == package_request("npm", "no-such-lib", None,
                                                 "https://127.0.0.1:56003/")
        assert (target.suspected, target.label) == ("package-not-found", "npm package no-such-lib")


def test_a_package_paste_that_names_an_image_too_probes_only_the_package() -> None:
    # Hand-made: a package paste whose build log also names the runner's image.
    diagnosis = diagnose(captured_package_output("npm", "npm_missing_version_install"))
    both = dataclasses.replace(diagnosis, context=dataclasses.replace(
        diagnosis.context, images=(parse_reference("node:20"),)))
    target = target_of(both)
    assert target is not None
    assert target.package is not None
    assert target.label == "npm package demo-lib@9.9.9"
    # The same context as an image paste (oci) probes its image.
    image = target_of(dataclasses.replace(both, context=dataclasses.replace(
        both.context, ecosystem="oci")))
    assert image is not None
    assert image.image == parse_reference("node:20")
    # A package the probe cannot ask about (cargo) probes nothing, not the image instead.
    assert target_of(dataclasses.replace(both, context=dataclasses.replace(
        both.context, ecosystem="cargo"))) is None


@pytest.mark.parametrize(("argument", "package"), [
    ("npm @acme/ui@1.2.0 https://npm.acme.io/",
     ("npm", "@acme/ui", "1.2.0", "https://npm.acme.io/", "npm package @acme/ui@1.2.0")),
    ("NPM left-pad", ("npm", "left-pad", None, None, "npm package left-pad")),
    ("pypi requests==2.31.0 https://pypi.acme.io/simple/",
     ("pypi", "requests", "2.31.0", "https://pypi.acme.io/simple/",
      "pypi package requests==2.31.0")),
    ("maven org.acme:core:1.0", ("maven", "org.acme:core", "1.0", None,
                                 "maven package org.acme:core:1.0")),
    ("nuget Newtonsoft.Json@13.0.1 https://nuget.acme.io/v3/index.json",
     ("nuget", "Newtonsoft.Json", "13.0.1", "https://nuget.acme.io/v3/index.json",
      "nuget package Newtonsoft.Json 13.0.1")),
    # A command escaping links gets a typed URL as <URL>: the URL typed is the one probed.
    ("npm demo-lib <https://npm.acme.io/>",
     ("npm", "demo-lib", None, "https://npm.acme.io/", "npm package demo-lib")),
])
def test_the_command_probes_the_package_it_names(
    argument: str, package: tuple[str, str, str | None, str | None, str]
) -> None:
    target = target_from_command(argument)
    assert isinstance(target, ProbeTarget)
    assert target.image is None
    assert target.package is not None
    checked = target.package
    assert (checked.ecosystem, checked.name, checked.version, checked.registry_url,
            target.label) == package
    assert target.suspected is None


def test_one_word_is_still_an_image() -> None:
    # ``maven`` alone is Docker Hub's official image, as it always was.
    assert target_from_command("maven") == ProbeTarget(parse_reference("maven"))


@pytest.mark.parametrize(("argument", "said"), [
    ("npm a b c", "Give one package and at most one registry URL"),
    ("npm ../../etc/passwd", "That is not a npm package: '../../etc/passwd' is not a valid"),
    ("maven no-colon", "That is not a maven package"),
    ("npm demo-lib ftp://npm.acme.io/", "'ftp://npm.acme.io/' is not a registry URL"),
    ("npm demo-lib npm.acme.io", "is not a registry URL (http:// or https://)"),
    ("ghcr.io/a/b:1 npm", "Give one image reference, or an ecosystem and a package"),
])
def test_a_bad_package_command_gets_the_package_usage(argument: str, said: str) -> None:
    answer = target_from_command(argument)
    assert isinstance(answer, NotProbed)
    assert said in answer.reason
    assert "Usage: /registry-why probe" in answer.reason


def test_the_usage_names_both_forms() -> None:
    assert COMMAND_USAGE.startswith("Usage: /registry-why probe <image>")
    assert "<ecosystem> <package>[@version] [registry-url]" in COMMAND_USAGE
    assert "<ecosystem> <package>[@version] [registry-url]" in PACKAGE_USAGE


@pytest.mark.parametrize("argument", [
    "npm demo-lib https://bob:{secret}@npm.acme.io/",
    "npm demo-lib https://npm.acme.io/?token={secret}",
    "npm {secret}",
])
def test_a_credential_typed_with_a_package_is_refused_unechoed(argument: str) -> None:
    secret = "npm_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
    answer = target_from_command(argument.format(secret=secret))
    assert isinstance(answer, NotProbed)
    assert secret not in answer.reason
    assert "rotate it now" in answer.reason


@pytest.fixture
def package_config(verdaccio: RunningVerdaccio, tmp_path: Path) -> ProbeConfig:
    """This run's Verdaccio with its publisher's login, usable only from #platform."""
    path = tmp_path / "registries.toml"
    path.write_text(FAST_LIMITS + package_entry(
        "npm", verdaccio.url, ca_file=verdaccio.ca_file, username=verdaccio.publisher.username,
        channel="CPLATFORM"))
    return load_registries(path, environ={"PKG_PASSWORD": verdaccio.publisher.password})


@pytest.mark.integration
async def test_probing_a_package_target_under_the_requesters_rules(
    package_config: ProbeConfig, verdaccio: RunningVerdaccio
) -> None:
    prober = Prober(package_config, ProbeCache())
    missing = ProbeTarget(None, "package-not-found",
                          package=package_request("npm", "no-such-lib", None, verdaccio.url))
    assert prober.shows_openly(missing, Requester("U1", "CRANDOM"))
    result = await prober.probe(missing, Requester("U1", "CRANDOM"))
    assert isinstance(result, PackageProbeResult)
    assert (result.outcome, result.verdict, result.tier) == (
        "package-not-found", "confirmed", "anonymous")

    private = ProbeTarget(None, "auth-required",
                          package=package_request("npm", "private-lib", None, verdaccio.url))
    # In #platform the operator's login is used: the result is for the asker alone.
    assert not prober.shows_openly(private, Requester("U1", "CPLATFORM"))
    credentialed = await prober.probe(private, Requester("U1", "CPLATFORM"))
    # Anonymous 401, served with the login: it needs a login, as the paste said.
    assert (credentialed.outcome, credentialed.verdict, credentialed.ephemeral) == (
        "ok", "confirmed", True)
    # Elsewhere it is withheld: anonymous and in the open, and (so as not to tell that a
    # private package exists) "missing" and "needs access" look alike.
    assert prober.shows_openly(private, Requester("U1", "CRANDOM"))
    anonymous = await prober.probe(private, Requester("U1", "CRANDOM"))
    assert (anonymous.tier, anonymous.verdict, anonymous.ephemeral) == (
        "anonymous", "inconclusive", False)
    assert "reported alike" in "\n".join(anonymous.evidence)

    unlisted = ProbeTarget(None, package=package_request("npm", "demo-lib", None,
                                                         "https://npm.elsewhere.example/"))
    assert not prober.shows_openly(unlisted, Requester("U1", "CRANDOM"))
