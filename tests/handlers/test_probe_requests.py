"""The registry probe in Slack, end to end: signed clicks and commands to the served bot, the
Slack stand-in recording what it sent, and real registries (or recording stand-ins) probed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.probe import Requester
from bot.probe_requests import Prober, ProbeTarget
from bot.render.button_state import pack
from bot.settings import SettingsError
from bot.slack.app import build_runtime
from bot.slack.ids import ACTION_PROBE
from knowledge.diagnosis import diagnose
from tests.bot.probe.test_package_probe import package_entry
from tests.support.package_registries import RunningVerdaccio
from tests.support.pastes import captured_package_output
from tests.support.probe_servers import (
    REGISTRY_HEADERS,
    Canned,
    RecordingListener,
    ScriptedRegistry,
    json_error,
    open_registry,
)
from tests.support.redis_server import RedisServer
from tests.support.registries_toml import FAST_LIMITS, loopback_entry, token_entry
from tests.support.registry import Registries
from tests.support.slack_api import RESPONSE_URL_METHOD, Call, SlackApi
from tests.support.slack_requests import (
    CHANNEL,
    USER,
    BotUnderTest,
    block_action,
    bot_settings,
    command_payload,
    event_callback,
    message_event,
    running_bot,
)

PLATFORM = "CPLATFORM"
"""The one channel where the token registry's pull credential may be used."""


def registries_toml(registry: Registries, *, limits: str = "", extra: str = "") -> str:
    """plain and basic (http, no credential) and token (its pull account, scoped to demo/*,
    only from #platform)."""
    return "\n".join((
        FAST_LIMITS + limits,
        loopback_entry(registry.plain.host),
        loopback_entry(registry.basic.host),
        token_entry(registry, password_env="RW_TEST_TOKEN_PASSWORD", channel=PLATFORM) + extra,
    ))


@pytest.fixture
def registries_file(registry: Registries, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registries file for the real registries; the token account's password in the env."""
    assert registry.token.password is not None
    monkeypatch.setenv("RW_TEST_TOKEN_PASSWORD", registry.token.password)
    path = tmp_path / "registries.toml"
    path.write_text(registries_toml(registry))
    return path


def missing_tag(image: str) -> str:
    return (f"Error response from daemon: manifest for {image} not found: manifest unknown: "
            "manifest unknown")


def unauthorized(scheme: str, host: str) -> str:
    return (f'Error response from daemon: Head "{scheme}://{host}/v2/demo/hello/manifests/v1": '
            "unauthorized: authentication required")


def probe_value(blocks: list[dict[str, Any]]) -> str:
    return str(next(e["value"] for b in blocks if b["type"] == "actions"
                    for e in b["elements"] if e["action_id"] == ACTION_PROBE))


def shown(call: Call) -> str:
    """Everything a message shows (blocks and fallback), for assertions on wording."""
    return json.dumps(call.body.get("blocks", [])) + "\n" + str(call.body.get("text", ""))


async def thread_reply(bot: BotUnderTest, slack_api: SlackApi, paste: str, *,
                       channel: str = CHANNEL) -> dict[str, Any]:
    """Paste an error, wait for the bot's thread reply, and return that reply the way Slack
    sends it back with a click on one of its buttons."""
    before = len(slack_api.calls("chat.postMessage"))
    event = message_event(paste, channel=channel)
    await bot.event(event_callback(event))
    posted = (await slack_api.wait_for("chat.postMessage", before + 1))[-1]
    assert posted.response is not None
    return {**posted.response["message"], "type": "message", "thread_ts": event["ts"],
            "blocks": posted.body["blocks"], "text": posted.body["text"]}


async def click_probe(bot: BotUnderTest, slack_api: SlackApi, reply: dict[str, Any], *,
                      value: str | None = None, channel: str = CHANNEL,
                      user: str = USER) -> None:
    await bot.interact(block_action(
        ACTION_PROBE, value if value is not None else probe_value(reply["blocks"]),
        slack_api.response_url(), message=reply, channel=channel, user=user))
    await bot.settle(10)


async def probed_reply(bot: BotUnderTest, slack_api: SlackApi,
                       paste: str) -> tuple[dict[str, Any], list[Call]]:
    """Paste an error, click the probe button on the bot's reply, and wait for the reply's
    first two updates (progress, then the result); return the reply and the updates so far."""
    reply = await thread_reply(bot, slack_api, paste)
    await click_probe(bot, slack_api, reply)
    return reply, await slack_api.wait_for("chat.update", 2)


async def test_probe_button_confirms_a_missing_tag_in_place(
    slack_api: SlackApi, registry: Registries, registries_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        reply, (progress, done) = await probed_reply(
            bot, slack_api, missing_tag(registry.plain.image("demo/hello:nope")))
        for update in (progress, done):
            assert (update.body["channel"], update.body["ts"]) == (CHANNEL, reply["ts"])
        assert "Probing" in shown(progress)
        assert "*Confirmed:*" in shown(done)
        assert "`manifest-unknown`" in shown(done)
        assert "Probing" not in shown(done)
        # The reply is the same reply, with its buttons still last.
        assert done.body["blocks"][0] == reply["blocks"][0]
        assert done.body["blocks"][-1] == reply["blocks"][-1]
        assert not slack_api.calls("chat.postEphemeral")


@pytest.mark.parametrize(("paste", "said"), [
    pytest.param(lambda regs: missing_tag(regs.plain.image("demo/hello:v1")),
                 ("*Refuted:*", "can be pulled from here (`ok`)"),
                 id="refutes a missing tag that exists"),
    pytest.param(lambda regs: unauthorized("http", regs.basic.host),
                 ("*Confirmed:*", "`auth-required`", "anonymous request"),
                 id="sees the login prompt of a basic-auth registry"),
])
async def test_the_probe_button_puts_its_verdict_in_the_reply(
    slack_api: SlackApi, registry: Registries, registries_file: Path,
    paste: Callable[[Registries], str], said: tuple[str, ...]
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        _, (_, done) = await probed_reply(bot, slack_api, paste(registry))
        for fragment in said:
            assert fragment in shown(done)


async def test_a_second_probe_replaces_the_first_in_the_reply(
    slack_api: SlackApi, registry: Registries, registries_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        reply, updates = await probed_reply(
            bot, slack_api, missing_tag(registry.plain.image("demo/hello:nope")))
        first = updates[-1]
        await click_probe(bot, slack_api, {**reply, "blocks": first.body["blocks"]},
                          user="U0SOMEONE")
        second = (await slack_api.wait_for("chat.update", 4))[-1]
        assert len(second.body["blocks"]) == len(first.body["blocks"])
        assert shown(second).count("Registry probe") == 1
        assert "(shared result)" in shown(second)  # the second click used the cached probe


async def test_the_probe_command_answers_privately(
    slack_api: SlackApi, registry: Registries, registries_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        image = registry.plain.image("demo/hello:nope")
        await bot.command(command_payload(f"probe {image}", slack_api.response_url()))
        progress, done = await slack_api.wait_for(RESPONSE_URL_METHOD, 2)
        assert progress.body["response_type"] == done.body["response_type"] == "ephemeral"
        assert "Probing" in shown(progress)
        assert progress.body["replace_original"] is False
        assert done.body["replace_original"] is True
        assert "`manifest-unknown`" in shown(done)
        assert "From here" in shown(done)
        assert not slack_api.calls("chat.postMessage")
        assert not slack_api.calls("chat.update")


async def test_the_probe_command_explains_bad_input(
    slack_api: SlackApi, registries_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        await bot.command(command_payload("probe", slack_api.response_url()))
        await bot.command(command_payload("probe not/a/Valid:ref", slack_api.response_url()))
        usage, invalid = await slack_api.wait_for(RESPONSE_URL_METHOD, 2)
        assert usage.body["text"].startswith("Usage: /registry-why probe &lt;image&gt;")
        assert "not an image reference" in invalid.body["text"]


@pytest.mark.parametrize("host", [
    "127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "169.254.169.254",
])
async def test_an_unlisted_host_is_not_allowed_and_never_contacted(
    slack_api: SlackApi, registries_file: Path, recorder: RecordingListener, host: str
) -> None:
    target = host.format(port=recorder.port)
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        await bot.command(command_payload(f"probe {target}/demo/hello:v1",
                                          slack_api.response_url()))
        _, answer = await slack_api.wait_for(RESPONSE_URL_METHOD, 2)
        assert ":no_entry: *Not probed:*" in shown(answer)
        assert "not a registry this bot may probe" in shown(answer)
    assert recorder.connections == 0


async def test_a_refused_click_tells_only_the_clicker_and_leaves_the_reply(
    slack_api: SlackApi, registries_file: Path, recorder: RecordingListener
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        reply = await thread_reply(bot, slack_api,
                                   missing_tag(f"127.0.0.1:{recorder.port}/demo/hello:nope"))
        await click_probe(bot, slack_api, reply)
        [note] = await slack_api.wait_for("chat.postEphemeral")
        assert note.body["user"] == USER
        assert note.body["thread_ts"] == reply["thread_ts"]
        assert "not a registry this bot may probe" in shown(note)
        assert not slack_api.calls("chat.update")  # no "Probing" for a host it may not call
    assert recorder.connections == 0


async def test_a_credentialed_result_is_shown_only_to_the_asker(
    slack_api: SlackApi, registry: Registries, registries_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        reply = await thread_reply(bot, slack_api, unauthorized("https", registry.token.host),
                                   channel=PLATFORM)
        await click_probe(bot, slack_api, reply, channel=PLATFORM)
        [private] = await slack_api.wait_for("chat.postEphemeral")
        assert (private.body["channel"], private.body["user"]) == (PLATFORM, USER)
        assert "shown only to you" in shown(private)
        assert "(`ok`)" in shown(private)
        # Nothing about the credentialed probe reached the thread, not even progress.
        assert not slack_api.calls("chat.update")
        assert len(slack_api.calls("chat.postMessage")) == 1
    # The same click outside #platform probes anonymously, in the open.
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        _, (_, done) = await probed_reply(
            bot, slack_api, unauthorized("https", registry.token.host))
        assert "anonymous request" in shown(done)
        assert "shown only to you" not in shown(done)


async def test_a_probe_from_an_ephemeral_answer_replaces_that_answer(
    slack_api: SlackApi, registry: Registries, registries_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        paste = missing_tag(registry.plain.image("demo/hello:nope"))
        await bot.command(command_payload(paste, slack_api.response_url("cmd")))
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        value = probe_value(answer.body["blocks"])
        await bot.interact(block_action(ACTION_PROBE, value, slack_api.response_url("click")))
        await bot.settle(10)
        progress, done = (await slack_api.wait_for(RESPONSE_URL_METHOD, 3))[1:]
        for update in (progress, done):
            assert update.path == "/response/click"
            assert update.body["replace_original"] is True
            assert update.body["response_type"] == "ephemeral"
            assert update.body["blocks"][0] == answer.body["blocks"][0]  # the same answer
        assert "Probing" in shown(progress)
        assert "*Confirmed:*" in shown(done)
        assert not slack_api.calls("chat.update")
        assert not slack_api.calls("chat.postMessage")


@pytest.mark.parametrize("forged", ["reference", "reply state"])
async def test_a_tampered_button_value_is_not_probed(
    slack_api: SlackApi, registry: Registries, registries_file: Path,
    recorder: RecordingListener, forged: str
) -> None:
    # The recorder is a listed registry here: only the check of the value can keep it quiet.
    other = f"127.0.0.1:{recorder.port}"
    registries_file.write_text(registries_toml(registry, extra="\n" + loopback_entry(other)))
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        reply = await thread_reply(bot, slack_api,
                                   missing_tag(registry.plain.image("demo/hello:nope")))
        value = (f"{other}/demo/hello:nope" if forged == "reference"
                 else pack(diagnose(missing_tag(f"{other}/demo/hello:nope"))))
        await click_probe(bot, slack_api, reply, value=value)
        [note] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert "does not match the reply" in note.body["text"]
        assert note.body["response_type"] == "ephemeral"
        assert not slack_api.calls("chat.update")
        assert not slack_api.calls("chat.postEphemeral")
        assert recorder.connections == 0
        # Control: a probe of that host, asked for by name, does reach the recorder.
        await bot.command(command_payload(f"probe {other}/demo/hello:nope",
                                          slack_api.response_url()))
        await slack_api.wait_for(RESPONSE_URL_METHOD, 3)
    assert recorder.connections >= 1


async def test_the_per_user_rate_limit_is_surfaced(
    slack_api: SlackApi, registry: Registries, registries_file: Path
) -> None:
    registries_file.write_text(registries_toml(registry, limits="user_probes_per_hour = 1\n"))
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        image = registry.plain.image()
        for _ in range(2):
            await bot.command(command_payload(f"probe {image}", slack_api.response_url()))
            await bot.settle(10)
        await bot.command(command_payload(f"probe {image}", slack_api.response_url()))
        calls = await slack_api.wait_for(RESPONSE_URL_METHOD, 6)
        first, second = shown(calls[1]), shown(calls[3])
        assert "can be pulled from here" in first
        assert "you have asked for 1 probes within an hour" in second
        assert ":no_entry: *Not probed:*" in second


@pytest.fixture
def broken_prober(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every probe fail with an error the probe itself never raises (a bug, say)."""

    async def broken(self: Prober, target: ProbeTarget, requester: Requester) -> None:
        raise RuntimeError("a bug in the bot")

    monkeypatch.setattr(Prober, "probe", broken)


@pytest.mark.usefixtures("broken_prober")
async def test_a_failed_probe_never_leaves_probing_behind(
    slack_api: SlackApi, registry: Registries, registries_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        reply, (progress, restored) = await probed_reply(
            bot, slack_api, missing_tag(registry.plain.image("demo/hello:nope")))
        assert "Probing" in shown(progress)
        assert restored.body["blocks"] == reply["blocks"]
        [note] = await slack_api.wait_for("chat.postEphemeral")
        assert note.body["user"] == USER
        assert "could not finish" in shown(note)

        await bot.command(command_payload(f"probe {registry.plain.image()}",
                                          slack_api.response_url()))
        progress, done = await slack_api.wait_for(RESPONSE_URL_METHOD, 2)
        assert "Probing" in shown(progress)
        assert done.body["replace_original"] is True
        assert "could not finish" in shown(done)
        assert "Probing" not in shown(done)


@pytest.mark.usefixtures("broken_prober")
async def test_a_failed_probe_from_an_ephemeral_answer_restores_that_answer(
    slack_api: SlackApi, registry: Registries, registries_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=registries_file) as bot:
        paste = missing_tag(registry.plain.image("demo/hello:nope"))
        await bot.command(command_payload(paste, slack_api.response_url("cmd")))
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        value = probe_value(answer.body["blocks"])
        await bot.interact(block_action(ACTION_PROBE, value, slack_api.response_url("click")))
        await bot.settle(10)
        progress, restored, note = (await slack_api.wait_for(RESPONSE_URL_METHOD, 4))[1:]
        assert "Probing" in shown(progress)
        assert restored.body["replace_original"] is True
        assert restored.body["blocks"] == answer.body["blocks"]
        assert note.body["replace_original"] is False
        assert "could not finish" in shown(note)


def test_a_bad_registries_file_stops_the_bot_before_it_serves(
    slack_api: SlackApi, tmp_path: Path
) -> None:
    path = tmp_path / "registries.toml"
    path.write_text('[[registry]]\nhost = "https://reg.example.com"\n')
    with pytest.raises(SettingsError, match=r"REGISTRY_WHY_REGISTRIES: .*\[\[registry\]\] #1"):
        build_runtime(bot_settings(slack_api, registries_file=path))


async def test_without_the_probe_there_is_no_button_and_the_command_says_so(
    slack_api: SlackApi, registry: Registries
) -> None:
    async with running_bot(slack_api) as bot:
        assert bot.runtime.prober is None
        reply = await thread_reply(bot, slack_api,
                                   missing_tag(registry.plain.image("demo/hello:nope")))
        assert ACTION_PROBE not in json.dumps(reply["blocks"])
        await bot.command(command_payload(f"probe {registry.plain.image()}",
                                          slack_api.response_url()))
        # A button on a reply posted before the probe was turned off.
        await bot.interact(block_action(ACTION_PROBE, registry.plain.image(),
                                        slack_api.response_url(), message=reply))
        notes = await slack_api.wait_for(RESPONSE_URL_METHOD, 2)
        assert all("not enabled" in n.body["text"] for n in notes)
        assert not slack_api.calls("chat.update")


async def test_two_replicas_pressing_the_same_button_probe_once(
    slack_api: SlackApi, clean_redis: RedisServer, tmp_path: Path
) -> None:
    manifest = "/v2/demo/hello/manifests/nope"
    with ScriptedRegistry(open_registry({
        ("HEAD", manifest): json_error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
        ("GET", "/v2/demo/hello/tags/list"): Canned(
            200, REGISTRY_HEADERS, b'{"name":"demo/hello","tags":["v1"]}'),
    })) as scripted:
        scripted.delay = 0.3  # long enough for both clicks to be probing at once
        path = tmp_path / "registries.toml"
        path.write_text(f"{FAST_LIMITS}\n{loopback_entry(scripted.host)}")
        async with running_bot(slack_api, registries_file=path,
                               redis_url=clean_redis.url) as one, \
                running_bot(slack_api, registries_file=path, redis_url=clean_redis.url) as two:
            reply = await thread_reply(one, slack_api,
                                       missing_tag(f"{scripted.host}/demo/hello:nope"))
            await asyncio.gather(click_probe(one, slack_api, reply),
                                 click_probe(two, slack_api, reply, user="U0SOMEONE"))
            updates = await slack_api.wait_for("chat.update", 4)
        heads = [r for r in scripted.requests if r.method == "HEAD"]
        assert len(heads) == 1, scripted.requests
        assert len([r for r in scripted.requests if r.path == "/v2/"]) == 1
        done = [u for u in updates if "Registry probe" in shown(u)]
        assert len(done) == 2
        assert all("*Confirmed:*" in shown(u) for u in done)
        assert sum("(shared result)" in shown(u) for u in done) == 1


# -- packages --------------------------------------------------------------------------------


@pytest.fixture
def verdaccio_file(verdaccio: RunningVerdaccio, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registries file listing this run's Verdaccio with its publisher's login, used only
    from #platform (the password in the environment)."""
    monkeypatch.setenv("PKG_PASSWORD", verdaccio.publisher.password)
    path = tmp_path / "registries.toml"
    path.write_text(FAST_LIMITS + package_entry(
        "npm", verdaccio.url, ca_file=verdaccio.ca_file, username=verdaccio.publisher.username,
        channel=PLATFORM))
    return path


async def test_the_probe_button_confirms_a_missing_package_in_place(
    slack_api: SlackApi, verdaccio: RunningVerdaccio, verdaccio_file: Path
) -> None:
    paste = captured_package_output("npm", "npm_missing_package_install", verdaccio.host)
    async with running_bot(slack_api, registries_file=verdaccio_file) as bot:
        reply, (progress, done) = await probed_reply(bot, slack_api, paste)
        for update in (progress, done):
            assert (update.body["channel"], update.body["ts"]) == (CHANNEL, reply["ts"])
        assert "Probing `npm package no-such-lib`" in shown(progress)
        assert f"*Registry probe* of `npm package no-such-lib at {verdaccio.url}`" in shown(done)
        assert "*Confirmed:*" in shown(done)
        assert "`package-not-found`" in shown(done)
        # The login exists but is for #platform: "missing" and "needs access" look alike.
        assert "are reported alike" in shown(done)
        assert "image" not in shown(done).split("*Registry probe*", 1)[1]
        assert done.body["blocks"][0] == reply["blocks"][0]
        assert done.body["blocks"][-1] == reply["blocks"][-1]
        assert not slack_api.calls("chat.postEphemeral")


async def test_a_credentialed_package_result_is_shown_only_to_the_asker(
    slack_api: SlackApi, verdaccio: RunningVerdaccio, verdaccio_file: Path
) -> None:
    paste = captured_package_output("pnpm", "pnpm_no_token_add_private", verdaccio.host)
    async with running_bot(slack_api, registries_file=verdaccio_file) as bot:
        reply = await thread_reply(bot, slack_api, paste, channel=PLATFORM)
        await click_probe(bot, slack_api, reply, channel=PLATFORM)
        [private] = await slack_api.wait_for("chat.postEphemeral")
        assert (private.body["channel"], private.body["user"]) == (PLATFORM, USER)
        assert "shown only to you" in shown(private)
        assert "the package can be fetched from here (`ok`)" in shown(private)
        assert "npm package private-lib" in shown(private)
        assert not slack_api.calls("chat.update")  # not even progress reached the thread
    # Outside #platform the login is withheld: anonymous, in the open.
    async with running_bot(slack_api, registries_file=verdaccio_file) as bot:
        _, (progress, done) = await probed_reply(bot, slack_api, paste)
        assert "Probing `npm package private-lib`" in shown(progress)
        assert "anonymous request" in shown(done)
        assert "shown only to you" not in shown(done)


async def test_a_package_probe_from_an_ephemeral_answer_replaces_that_answer(
    slack_api: SlackApi, verdaccio: RunningVerdaccio, verdaccio_file: Path
) -> None:
    paste = captured_package_output("npm", "npm_missing_package_install", verdaccio.host)
    async with running_bot(slack_api, registries_file=verdaccio_file) as bot:
        await bot.command(command_payload(paste, slack_api.response_url("cmd")))
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        value = probe_value(answer.body["blocks"])
        await bot.interact(block_action(ACTION_PROBE, value, slack_api.response_url("click")))
        await bot.settle(10)
        progress, done = (await slack_api.wait_for(RESPONSE_URL_METHOD, 3))[1:]
        for update in (progress, done):
            assert update.path == "/response/click"
            assert update.body["replace_original"] is True
            assert update.body["blocks"][0] == answer.body["blocks"][0]
        assert "*Confirmed:*" in shown(done)
        assert "`package-not-found`" in shown(done)


async def test_the_probe_command_takes_a_package(
    slack_api: SlackApi, verdaccio: RunningVerdaccio, verdaccio_file: Path
) -> None:
    async with running_bot(slack_api, registries_file=verdaccio_file) as bot:
        await bot.command(command_payload(f"probe npm demo-lib@1.0.0 {verdaccio.url}",
                                          slack_api.response_url()))
        progress, done = await slack_api.wait_for(RESPONSE_URL_METHOD, 2)
        assert progress.body["response_type"] == done.body["response_type"] == "ephemeral"
        assert "Probing npm package demo-lib@1.0.0" in progress.body["text"]
        assert done.body["replace_original"] is True
        assert ":white_check_mark: The package can be fetched from here (`ok`)." in shown(done)
        assert "version 1.0.0: listed" in shown(done)
        assert not slack_api.calls("chat.postMessage")

        await bot.command(command_payload("probe npm ../../etc/passwd",
                                          slack_api.response_url()))
        await bot.command(command_payload(
            f"probe npm demo-lib https://bob:{verdaccio.publisher.password}@{verdaccio.host}/",
            slack_api.response_url()))
        invalid, typed = (await slack_api.wait_for(RESPONSE_URL_METHOD, 4))[2:]
        assert "That is not a npm package" in invalid.body["text"]
        assert "Usage: /registry-why probe &lt;ecosystem&gt; &lt;package&gt;" in (
            invalid.body["text"])
        assert verdaccio.publisher.password not in shown(typed)
        assert "rotate it now" in shown(typed)
