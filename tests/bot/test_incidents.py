"""The incident tracker on a real Redis shared by three trackers (three replicas), and on
memory: when an incident opens, its one card, exact counts, notes, board and resolution."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.incidents.classes import answers_again
from bot.incidents.hosts import incident_host
from bot.incidents.tracker import IncidentTracker
from bot.render.blocks import Message
from bot.render.incident_blocks import render_board, render_card, with_note
from bot.settings import Settings
from bot.store import MemoryStore, RedisStore, Store
from knowledge.diagnosis import Diagnosis, diagnose
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisServer

HOST = "harbor.acme.internal"
REFUSED = (f'Error response from daemon: Get "https://{HOST}/v2/team/app/manifests/1.0": '
           f"dial tcp 10.0.0.7:443: connect: connection refused")
WRONG_PASSWORD = (f'Error response from daemon: Get "https://{HOST}/v2/": unauthorized: '
                  "incorrect username or password")
CARD_CHANNEL = "C0INCIDENT"


@dataclass
class RecordedSlack:
    """A Publisher that records what it sent."""

    posts: list[tuple[str, str | None, Message]] = field(default_factory=list)
    updates: list[tuple[str, str, Message]] = field(default_factory=list)

    async def post(self, channel: str, message: Message,
                   thread_ts: str | None = None) -> str | None:
        self.posts.append((channel, thread_ts, message))
        return f"1700000000.{len(self.posts):06d}"

    async def update(self, channel: str, ts: str, message: Message) -> bool:
        self.updates.append((channel, ts, message))
        return True

    async def permalink(self, channel: str, ts: str) -> str | None:
        return f"https://acme.slack.invalid/archives/{channel}/p{ts.replace('.', '')}"


def settings(**extra: object) -> Settings:
    return Settings(redis_prefix="inc-test", incident_channel=CARD_CHANNEL, **extra)


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[list[Store]]:
    """Three replicas' stores: one shared memory store, or three clients of one Redis."""
    if request.param == "memory":
        shared = MemoryStore()
        yield [shared, shared, shared]
        return
    server: RedisServer = request.getfixturevalue("clean_redis")
    clients: list[Store] = [RedisStore(server.url) for _ in range(3)]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


def trackers(stores: list[Store], slack: RecordedSlack, clock: FakeClock,
             **extra: object) -> list[IncidentTracker]:
    return [IncidentTracker(settings(**extra), store, publisher=slack, clock=clock,
                            update_interval=0.05) for store in stores]


@pytest.fixture(scope="module")
def refused() -> Diagnosis:
    diagnosis = diagnose(REFUSED)
    assert diagnosis.class_id == "connection-refused"
    return diagnosis


def test_docker_hub_spellings_are_one_registry() -> None:
    assert {incident_host(h) for h in ("docker.io", "index.docker.io",
                                       "Registry-1.Docker.io", "docker.io.")} == {"docker.io"}
    assert incident_host("harbor.acme.internal:443") == "harbor.acme.internal"
    assert incident_host("harbor.acme.internal:8443") == "harbor.acme.internal:8443"


async def test_a_lone_error_or_one_person_repeating_opens_nothing(
        stores: list[Store], refused: Diagnosis) -> None:
    slack, clock = RecordedSlack(), FakeClock(1_700_000_000)
    replicas = trackers(stores, slack, clock)
    for n in range(6):  # one person, one channel, six times, through every replica
        assert await replicas[n % 3].report(refused, channel="C01", user="U01",
                                            thread_ts=f"1.{n}") is None
    assert await replicas[0].open_hosts() == []
    assert slack.posts == []


async def test_a_personal_cause_is_not_a_report(stores: list[Store]) -> None:
    slack, clock = RecordedSlack(), FakeClock(1_700_000_000)
    replicas = trackers(stores, slack, clock)
    wrong = diagnose(WRONG_PASSWORD)
    assert wrong.class_id is not None
    for n in range(5):
        assert await replicas[n % 3].report(wrong, channel=f"C0{n}", user=f"U0{n}") is None
    assert (await replicas[0].board()).registries == ()


async def test_reports_from_several_people_open_one_incident_with_exact_counts(
        stores: list[Store], refused: Diagnosis) -> None:
    slack, clock = RecordedSlack(), FakeClock(1_700_000_000)
    replicas = trackers(stores, slack, clock)
    notes = await asyncio.gather(*(
        replicas[n % 3].report(refused, channel=f"C0{n % 4}", user=f"U0{n % 5}",
                               thread_ts=f"1700000000.{n:06d}")
        for n in range(29)))
    await asyncio.sleep(0.3)  # the card is posted
    notes.append(await replicas[0].report(refused, channel="C00", user="U00",
                                          thread_ts="1700000000.000029"))
    await asyncio.sleep(0.3)  # the scheduled card edits

    cards = [p for p in slack.posts if p[0] == CARD_CHANNEL]
    assert len(cards) == 1, "exactly one card"
    assert slack.updates, "the card was edited as reports came"
    last = slack.updates[-1][2]
    assert "30 reports" in last.text
    assert "4 channels" in last.text
    view = await replicas[1].view(HOST)
    assert view is not None
    assert (view.reports, view.users, len(view.channels)) == (30, 5, 4)
    assert view.causes == (("connection-refused", 30),)
    assert view.images == (f"{HOST}/team/app:1.0",)
    # The third report opened it; every later one is told.
    told = [n for n in notes if n is not None]
    assert len(told) >= 28
    line = with_note(Message("answer"), told[-1]).text.splitlines()[0]
    assert line.startswith(f"Part of an open incident on {HOST}: ")
    assert "archives/C0INCIDENT/p" in line
    board = await replicas[2].board()
    assert [v.host for v in board.incidents] == [HOST]
    assert board.registries[0].reports == 30
    assert HOST in str(render_board(board).blocks)


async def test_quiet_window_resolves_once_with_one_message_per_thread(
        stores: list[Store], refused: Diagnosis) -> None:
    slack, clock = RecordedSlack(), FakeClock(1_700_000_000)
    replicas = trackers(stores, slack, clock, incident_window=60)
    for n in range(4):
        await replicas[n % 3].report(refused, channel=f"C0{n}", user=f"U0{n}",
                                     thread_ts=f"1700000000.{n:06d}")
    assert await replicas[0].open_hosts() == [HOST]
    clock.now += 30
    await asyncio.gather(*(r.check() for r in replicas))
    assert await replicas[0].open_hosts() == [HOST], "not quiet for a window yet"
    clock.now += 31
    await asyncio.gather(*(r.check() for r in replicas))
    assert await replicas[0].open_hosts() == []
    threads = [(c, t) for c, t, _ in slack.posts if t is not None]
    assert sorted(threads) == [(f"C0{n}", f"1700000000.{n:06d}") for n in range(4)]
    final = slack.updates[-1][2]
    assert final.text.startswith("Incident resolved")
    assert ":white_check_mark:" in str(final.blocks)
    # A new report after the resolution starts a new episode, not the old counts.
    assert await replicas[0].report(refused, channel="C09", user="U09") is None
    view = await replicas[0].view(HOST)
    assert view is not None
    assert view.reports == 1


def test_what_counts_as_answering_again() -> None:
    assert answers_again("ok")
    assert answers_again("manifest-unknown")  # the registry answered about the image
    assert not answers_again("connection-refused")
    assert not answers_again(None)


def test_the_card_shows_what_the_issue_asks_for() -> None:
    from bot.incidents.model import IncidentView
    view = IncidentView(host=HOST, incident_id="x", opened=1_700_000_000, first=1_700_000_000,
                        last=1_700_000_300, reports=7, causes=(("connection-refused", 5),
                                                               ("network-timeout", 2)),
                        users=5, channels=("C01", "C02"), images=("a/b:1",),
                        probe_outcome="connection-refused", probe_at=1_700_000_290)
    card = render_card(view, 1_700_000_300)
    shown = str(card.blocks)
    for part in (HOST, "(`connection-refused`): 5", "(`network-timeout`): 2", "7 reports",
                 "5 people", "<#C01> <#C02>", "22:13 UTC", "a/b:1", "Last probe"):
        assert part in shown, part


async def test_one_message_counts_once_however_it_arrives(
        stores: list[Store], refused: Diagnosis) -> None:
    slack, clock = RecordedSlack(), FakeClock(1_700_000_000)
    replicas = trackers(stores, slack, clock)
    # A paste answered by one replica, then the shortcut on it through another.
    for replica in replicas[:2]:
        await replica.report(refused, channel="C01", user="U01", message_ts="1700000000.000001")
    view = await replicas[2].view(HOST)
    assert view is not None
    assert view.reports == 1


def test_the_incident_channel_must_be_a_channel_id() -> None:
    from pydantic import ValidationError

    assert Settings(incident_channel=" C0ONCALL1 ").incident_channel == "C0ONCALL1"
    with pytest.raises(ValidationError, match="channel id"):
        Settings(incident_channel="#on-call")
