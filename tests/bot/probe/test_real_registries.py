"""Every row of the decision table, against a real docker-registry in the real condition.

Each test sets the condition up for real (a registry without the CA configured, a wrong
password, a missing tag, a port with no listener...), probes it, and checks both the outcome
the bot sees and the verdict on a matching and a mismatched pasted class.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.probe import ProbeConfig, ProbeResult, Requester, probe_image
from knowledge.reference import parse_reference
from tests.bot.probe.conftest import MakeConfig, real_registries_toml
from tests.support.dns import LoopbackDns
from tests.support.probe_servers import FullBacklog
from tests.support.registries_toml import loopback_entry
from tests.support.registry import Registries

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
MISSING_DIGEST = "sha256:" + "0" * 64


async def probe(
    config: ProbeConfig,
    image: str,
    suspected: str | None = None,
    requester: Requester | None = None,
) -> ProbeResult:
    return await probe_image(
        parse_reference(image), suspected=suspected, requester=requester, config=config
    )


def assert_clean(result: ProbeResult, *secrets: str) -> None:
    """No evidence line shows a loopback address, a token or a password."""
    text = json.dumps(result.evidence)
    assert "127.0.0.1" not in text
    assert "eyJ" not in text
    for secret in secrets:
        assert secret not in text


# -- it works ---------------------------------------------------------------------------------


async def test_pullable_image_on_an_open_registry(
    registry: Registries, real_config: ProbeConfig
) -> None:
    result = await probe(real_config, registry.plain.image())
    assert result.outcome == "ok"
    assert result.verdict is None
    assert result.tier == "anonymous"
    assert not result.ephemeral
    digest = registry.layout.manifest[:19]
    assert any(digest in line for line in result.evidence), result.evidence
    assert_clean(result)


# -- connection-level classes -----------------------------------------------------------------


async def test_connection_refused(
    registry: Registries, make_config: MakeConfig, real_config: ProbeConfig, closed_port: int
) -> None:
    config = make_config(loopback_entry(f"127.0.0.1:{closed_port}"))
    image = f"127.0.0.1:{closed_port}/demo/hello:v1"
    result = await probe(config, image, "connection-refused")
    assert (result.outcome, result.verdict) == ("connection-refused", "confirmed")
    assert_clean(result)

    answered = await probe(real_config, registry.plain.image(), "connection-refused")
    assert answered.verdict == "refuted"
    assert "accepts connections" in (answered.verdict_reason or "")


async def test_tls_handshake_timeout(make_config: MakeConfig, blackhole: tuple[str, int]) -> None:
    host = f"127.0.0.1:{blackhole[1]}"
    config = make_config(loopback_entry(host, scheme=None))
    result = await probe(config, f"{host}/demo/hello:v1", "network-timeout")
    assert (result.outcome, result.verdict) == ("network-timeout", "confirmed")
    assert any("TLS handshake" in line for line in result.evidence)
    assert 900 <= result.elapsed_ms < 3000


async def test_read_timeout_on_a_silent_http_server(
    make_config: MakeConfig, blackhole: tuple[str, int]
) -> None:
    host = f"127.0.0.1:{blackhole[1]}"
    config = make_config(loopback_entry(host))
    result = await probe(config, f"{host}/demo/hello:v1", "network-timeout")
    assert (result.outcome, result.verdict) == ("network-timeout", "confirmed")
    assert any("no answer in time" in line for line in result.evidence)


async def test_connect_timeout(make_config: MakeConfig) -> None:
    with FullBacklog() as backlog:
        host = f"127.0.0.1:{backlog.port}"
        config = make_config(loopback_entry(host, scheme=None))
        result = await probe(config, f"{host}/demo/hello:v1", "network-timeout")
    assert (result.outcome, result.verdict) == ("network-timeout", "confirmed")
    assert any("TCP connect" in line for line in result.evidence), result.evidence


def test_dns_failure_with_a_real_resolver(nxdomain_dns: LoopbackDns) -> None:
    # The whole probe runs in a private mount namespace whose resolv.conf names only a loopback
    # NXDOMAIN responder: the system resolver really fails, and no query leaves loopback.
    script = (
        "import asyncio, json\n"
        "from pathlib import Path\n"
        "from bot.probe import parse_registries, probe_image, to_json\n"
        "from knowledge.reference import parse_reference\n"
        "config = parse_registries('[[registry]]\\nhost = \"registry.invalid\"\\n',"
        " source=Path('r.toml'), environ={})\n"
        "result = asyncio.run(probe_image(parse_reference('registry.invalid/demo/hello:v1'),"
        " suspected='dns-resolution', config=config))\n"
        "print(json.dumps(to_json(result)))\n"
    )
    done = subprocess.run(
        [*nxdomain_dns.prefix, sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["outcome"], result["verdict"]) == ("dns-resolution", "confirmed")
    assert any("NXDOMAIN" in line for line in result["evidence"])


async def test_a_resolving_name_refutes_dns_failure(
    registry: Registries, make_config: MakeConfig
) -> None:
    host = f"localhost:{registry.plain.port}"
    config = make_config(loopback_entry(host))
    result = await probe(config, f"{host}/demo/hello:v1", "dns-resolution")
    assert (result.outcome, result.verdict) == ("ok", "refuted")
    assert "split DNS" in (result.verdict_reason or "")


# -- TLS --------------------------------------------------------------------------------------


async def test_unknown_authority(registry: Registries, make_config: MakeConfig) -> None:
    # The operator did not configure the registry's CA: the bot trusts public CAs only.
    config = make_config(loopback_entry(registry.tls.host, scheme=None))
    result = await probe(config, registry.tls.image(), "tls-unknown-authority")
    assert (result.outcome, result.verdict) == ("tls-unknown-authority", "confirmed")
    assert any("verify code 20" in line for line in result.evidence), result.evidence
    mismatched = await probe(config, registry.tls.image(), "tls-expired")
    assert mismatched.verdict == "inconclusive"


async def test_hostname_mismatch(registry: Registries, real_config: ProbeConfig) -> None:
    result = await probe(real_config, registry.tls_wrong_name.image(), "tls-hostname-mismatch")
    assert (result.outcome, result.verdict) == ("tls-hostname-mismatch", "confirmed")
    refuted = await probe(real_config, registry.tls.image(), "tls-hostname-mismatch")
    assert refuted.verdict == "refuted"


async def test_expired_certificate(registry: Registries, real_config: ProbeConfig) -> None:
    result = await probe(real_config, registry.tls_expired.image(), "tls-expired")
    assert (result.outcome, result.verdict) == ("tls-expired", "confirmed")
    clock = await probe(real_config, registry.tls_expired.image(), "clock-skew")
    assert clock.verdict == "refuted"
    valid = await probe(real_config, registry.tls.image(), "tls-expired")
    assert valid.verdict == "refuted"
    assert "clock" in (valid.verdict_reason or "")


async def test_https_client_against_a_plain_http_registry(
    registry: Registries, make_config: MakeConfig, real_config: ProbeConfig
) -> None:
    config = make_config(loopback_entry(registry.plain.host, scheme=None))
    result = await probe(config, registry.plain.image(), "http-response-to-https-client")
    assert (result.outcome, result.verdict) == ("http-response-to-https-client", "confirmed")
    tls_fine = await probe(real_config, registry.tls.image(), "http-response-to-https-client")
    assert tls_fine.verdict == "refuted"


async def test_plain_http_to_a_tls_port_is_not_a_registry_answer(
    registry: Registries, make_config: MakeConfig
) -> None:
    host = registry.tls.host
    config = make_config(loopback_entry(host))
    result = await probe(config, registry.tls.image(), "not-a-registry")
    assert (result.outcome, result.verdict) == ("not-a-registry", "confirmed")
    assert any("expects TLS" in line for line in result.evidence)


# -- authentication and access ----------------------------------------------------------------


async def test_auth_required_on_a_basic_auth_registry(
    registry: Registries, real_config: ProbeConfig
) -> None:
    result = await probe(real_config, registry.basic.image(), "auth-required")
    assert (result.outcome, result.verdict) == ("auth-required", "confirmed")
    helper = await probe(real_config, registry.basic.image(), "no-basic-auth-credentials")
    assert helper.verdict == "confirmed"


async def test_private_repository_pullable_with_the_operator_credential(
    registry: Registries, real_config: ProbeConfig
) -> None:
    # Basic auth over TLS: anonymous 401, the operator's account gets 200.
    result = await probe(real_config, registry.tls.image(), "auth-required")
    assert (result.outcome, result.verdict, result.tier) == ("ok", "confirmed", "credentialed")
    assert result.ephemeral
    assert "private" in (result.verdict_reason or "")
    assert_clean(result, registry.tls.password or "")


async def test_token_registry_two_passes(registry: Registries, real_config: ProbeConfig) -> None:
    requests_before = len(registry.token_server.requests)
    result = await probe(
        real_config, registry.token.image(), "auth-required", Requester("U1", "CPLATFORM")
    )
    assert (result.outcome, result.verdict, result.tier) == ("ok", "confirmed", "credentialed")
    made = registry.token_server.requests[requests_before:]
    assert [r.username for r in made] == [None, registry.token.username]
    # The anonymous token came without any credential; the scope asked was pull only.
    assert not made[0].authorization_sent
    assert all(r.params["scope"] == ("repository:demo/hello:pull",) for r in made)
    assert_clean(result, registry.token.password or "")


async def test_oauth2_password_grant_on_the_real_token_server(
    registry: Registries, make_config: MakeConfig, real_env: dict[str, str]
) -> None:
    toml = real_registries_toml(registry).replace(
        'allowed_channels = ["CPLATFORM"]', 'allowed_channels = ["CPLATFORM"]\noauth2 = "password"'
    )
    before = len(registry.token_server.requests)
    result = await probe(make_config(toml, real_env), registry.token.image())
    assert (result.outcome, result.tier) == ("ok", "credentialed")
    made = registry.token_server.requests[before:]
    assert [(r.method, r.username) for r in made] == [
        ("GET", None),
        ("POST", registry.token.username),
    ]
    assert made[1].params["grant_type"] == ("password",)
    assert "password" not in made[1].params


async def test_wrong_password_on_a_token_registry(
    registry: Registries, make_config: MakeConfig, real_env: dict[str, str]
) -> None:
    config = make_config(
        real_registries_toml(registry), {**real_env, "TOKEN_PASSWORD": "wrong-password"}
    )
    result = await probe(config, registry.token.image(), "auth-invalid-credentials")
    assert (result.outcome, result.verdict) == ("auth-invalid-credentials", "confirmed")
    assert any("401" in line and "invalid username or password" in line for line in result.evidence)
    assert_clean(result, "wrong-password")


async def test_wrong_password_on_basic_auth_over_tls(
    registry: Registries, make_config: MakeConfig, real_env: dict[str, str]
) -> None:
    config = make_config(real_registries_toml(registry), {**real_env, "TLS_PASSWORD": "nope"})
    result = await probe(config, registry.tls.image(), "auth-invalid-credentials")
    assert (result.outcome, result.verdict) == ("auth-invalid-credentials", "confirmed")


async def test_healthy_login_leaves_invalid_credentials_to_the_user(
    registry: Registries, real_config: ProbeConfig
) -> None:
    result = await probe(real_config, registry.token.image(), "auth-invalid-credentials")
    assert result.verdict == "inconclusive"
    assert "login service works" in (result.verdict_reason or "")
    expired = await probe(real_config, registry.token.image(), "token-expired")
    assert expired.verdict == "inconclusive"


async def test_service_account_denied_too(
    registry: Registries, make_config: MakeConfig, real_env: dict[str, str]
) -> None:
    # An operator scoped the credential to everything; the puller account still may not pull
    # private/*, so the registry answers insufficient_scope to the credentialed token.
    config = make_config(real_registries_toml(registry, token_scopes='["*"]'), real_env)
    image = registry.token.image("private/secret:v1")
    result = await probe(config, image, "access-denied")
    assert (result.outcome, result.verdict, result.tier) == (
        "access-denied",
        "confirmed",
        "credentialed",
    )
    assert any("insufficient_scope" in line for line in result.evidence)


async def test_out_of_scope_repository_gets_the_anonymous_merged_answer(
    registry: Registries, real_config: ProbeConfig
) -> None:
    before = len(registry.token_server.requests)
    existing = await probe(
        real_config, registry.token.image("private/secret:v1"), "pull-access-denied-or-missing"
    )
    missing = await probe(
        real_config, registry.token.image("private/nothing:v1"), "pull-access-denied-or-missing"
    )
    for result in (existing, missing):
        assert (result.outcome, result.verdict, result.tier) == (
            "pull-access-denied-or-missing",
            "confirmed",
            "anonymous",
        )
    # No oracle: an existing private repository and a missing one read exactly alike.
    assert existing.evidence == missing.evidence
    assert existing.verdict_reason == missing.verdict_reason
    # And the operator's credential was never sent for them.
    assert all(r.username is None for r in registry.token_server.requests[before:])


async def test_channel_not_allowed_gets_the_anonymous_answer(
    registry: Registries, real_config: ProbeConfig
) -> None:
    before = len(registry.token_server.requests)
    result = await probe(
        real_config, registry.token.image(), "auth-required", Requester("U2", "CRANDOM")
    )
    assert (result.outcome, result.tier) == ("pull-access-denied-or-missing", "anonymous")
    assert not result.ephemeral
    assert all(r.username is None for r in registry.token_server.requests[before:])


# -- what exists ------------------------------------------------------------------------------


async def test_missing_repository(registry: Registries, real_config: ProbeConfig) -> None:
    image = registry.plain.image("nope/nothing:v1")
    result = await probe(real_config, image, "repository-not-found")
    assert (result.outcome, result.verdict) == ("repository-not-found", "confirmed")
    assert any("NAME_UNKNOWN" in line for line in result.evidence)
    as_tag = await probe(real_config, image, "manifest-unknown")
    assert as_tag.verdict == "refuted"
    assert "whole repository" in (as_tag.verdict_reason or "")


async def test_missing_tag(registry: Registries, real_config: ProbeConfig) -> None:
    image = registry.plain.image("demo/hello:nope")
    result = await probe(real_config, image, "manifest-unknown")
    assert (result.outcome, result.verdict) == ("manifest-unknown", "confirmed")
    as_repo = await probe(real_config, image, "repository-not-found")
    assert as_repo.verdict == "refuted"
    platform = await probe(real_config, image, "no-matching-platform")
    assert platform.verdict == "refuted"


async def test_existing_oci_image_refutes_manifest_unknown_and_names_old_clients(
    registry: Registries, real_config: ProbeConfig
) -> None:
    result = await probe(real_config, registry.plain.image(), "manifest-unknown")
    assert (result.outcome, result.verdict) == ("ok", "refuted")
    assert "OCI" in (result.verdict_reason or "")
    media = await probe(real_config, registry.plain.image(), "manifest-invalid-or-unsupported")
    assert media.verdict == "confirmed"


async def test_platform_question_is_answered_with_what_the_headers_show(
    registry: Registries, real_config: ProbeConfig
) -> None:
    index = await probe(
        real_config, registry.plain.image("demo/hello:multi"), "no-matching-platform"
    )
    single = await probe(real_config, registry.plain.image(), "no-matching-platform")
    assert index.verdict == single.verdict == "inconclusive"
    assert "multi-platform index" in (index.verdict_reason or "")
    assert "single-platform manifest" in (single.verdict_reason or "")


async def test_an_unreadable_password_file_is_reported_not_raised(
    registry: Registries, make_config: MakeConfig, real_env: dict[str, str], tmp_path: Path
) -> None:
    secret = tmp_path / "token-password"
    secret.write_text(real_env["TOKEN_PASSWORD"])
    toml = real_registries_toml(registry).replace(
        'password_env = "TOKEN_PASSWORD"', f'password_file = "{secret}"'
    )
    config = make_config(toml, real_env)
    secret.unlink()  # rotated away after the bot started
    result = await probe(config, registry.token.image(), "auth-required")
    assert result.outcome is None
    assert any("could not be read" in line for line in result.evidence)


# -- verdicts one probe decides ---------------------------------------------------------------


@dataclass(frozen=True)
class OneProbe:
    """A probe of one real registry, and what its result must show."""

    image: Callable[[Registries], str]
    suspected: str
    expect: Mapping[str, str]
    """``ProbeResult`` fields and the value each must have."""
    reason: tuple[str, ...] = ()
    """Fragments the verdict's reason must hold."""


def plain_image(regs: Registries) -> str:
    return regs.plain.image()


ONE_PROBE = {
    "a_fast_registry_refutes_a_timeout": OneProbe(
        plain_image, "network-timeout", {"verdict": "refuted"}
    ),
    "operator_ca_makes_unknown_authority_a_trust_question": OneProbe(
        lambda regs: regs.tls.image(),
        "tls-unknown-authority",
        {"outcome": "ok", "verdict": "inconclusive"},
        ("/etc/docker/certs.d/",),
    ),
    "registry_listed_as_plain_http_confirms_http_to_https": OneProbe(
        plain_image,
        "http-response-to-https-client",
        {"outcome": "ok", "verdict": "confirmed"},
        ("plain HTTP",),
    ),
    "public_image_refutes_auth_required": OneProbe(
        plain_image,
        "auth-required",
        {"outcome": "ok", "verdict": "refuted"},
        ("public and pullable from here", "stale"),
    ),
    "public_image_refutes_access_denied": OneProbe(
        plain_image, "access-denied", {"verdict": "refuted"}, ("stale",)
    ),
    "missing_tag_refutes_access_denied": OneProbe(
        lambda regs: regs.token.image("demo/hello:nope"),
        "access-denied",
        {"outcome": "manifest-unknown", "verdict": "refuted"},
    ),
    "public_image_refutes_denied_or_missing": OneProbe(
        plain_image, "pull-access-denied-or-missing", {"verdict": "refuted"}
    ),
    "missing_repository_seen_with_the_credential": OneProbe(
        lambda regs: regs.token.image("demo/nothing:v1"),
        "repository-not-found",
        {"outcome": "repository-not-found", "verdict": "confirmed", "tier": "credentialed"},
    ),
    "missing_digest": OneProbe(
        lambda regs: f"{regs.plain.host}/demo/hello@{MISSING_DIGEST}",
        "manifest-unknown",
        {"outcome": "manifest-unknown", "verdict": "confirmed"},
    ),
    "client_side_causes_are_inconclusive": OneProbe(
        plain_image, "disk-full-on-pull", {"verdict": "inconclusive"}, ("client",)
    ),
}


@pytest.mark.parametrize("case", ONE_PROBE.values(), ids=list(ONE_PROBE))
async def test_one_probe_decides(
    registry: Registries, real_config: ProbeConfig, case: OneProbe
) -> None:
    result = await probe(real_config, case.image(registry), case.suspected)
    assert {field: getattr(result, field) for field in case.expect} == case.expect
    for fragment in case.reason:
        assert fragment in (result.verdict_reason or "")
