"""The incident tracker: every decision about incidents, with its state in the store.

A *report* is a diagnosis whose class the knowledge base marks ``incident = true`` and which
names a registry host. Reports about one (normalised) host form an *episode*: its facts (first
and last report, causes, people, channels, images, threads) live in the store under the host's
keys and expire a window after the last report while no incident is open. An incident opens
when ``min_reports`` reports arrive within one window from at least two people or channels;
the one replica whose atomic claim of the host's open flag succeeds posts the card. Any
replica may then update it, at most once per ``UPDATE_INTERVAL`` (a claimed "pending" key).

Recovery: every replica runs ``watch()``; each tick, for each open incident, one replica (an
owned lock per re-probe interval) re-probes the registry under the probe's own policy, at most
``MAX_REPROBES`` times per incident. A successful probe resolves it; without a probe (or once
the re-probes are spent) a window without reports does. The resolving replica is the one whose
claim on the incident's id succeeds, so each thread gets one resolution message.

Only derived facts are stored: host, class ids, image references, channel and user ids,
message timestamps, times and probe outcomes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace

from bot import metrics
from bot.incidents.classes import answers_again, is_outage
from bot.incidents.hosts import incident_host
from bot.incidents.model import Board, IncidentView, Note, RegistryRow
from bot.incidents.publisher import Publisher
from bot.probe import ProbeResult, Requester
from bot.probe_requests import Prober, ProbeTarget
from bot.render.incident_blocks import render_card, render_resolution
from bot.settings import Settings
from bot.store import Keys, Store, StoreUnavailable
from knowledge import Diagnosis, ImageReference, InvalidReference, parse_reference

log = logging.getLogger(__name__)

UPDATE_INTERVAL = 3.0
"""Seconds between edits of one card: well under Slack's chat.update limit (about one edit a
second per message), yet fresh enough to watch."""
OPEN_TTL = 24 * 3600
"""An incident's facts live this long after its last report (a forgotten incident ends)."""
HOUR = 3600
MAX_REPROBES = 120
"""Re-probes of one incident; after these, a window without reports resolves it."""
MAX_IMAGES = 20
"""Distinct images kept per episode (the card shows five)."""
INCIDENT_REQUESTER = Requester(user="registry-why:incident")
"""Re-probes ask as no one in particular: never with a channel-scoped credential."""
_EPISODE_SETS = ("users", "channels", "images", "threads")


class IncidentTracker:
    """Opens, updates and resolves incidents; shared by every front end of one replica."""

    def __init__(
        self, settings: Settings, store: Store, *, publisher: Publisher | None = None,
        prober: Prober | None = None, clock: Callable[[], float] = time.time,
        update_interval: float = UPDATE_INTERVAL,
    ) -> None:
        self.settings = settings
        self.store = store
        self.keys = Keys(settings.redis_prefix)
        self.publisher = publisher
        self.prober = prober
        self._clock = clock
        self._update_interval = update_interval
        self._owner = uuid.uuid4().hex
        self._tasks: set[asyncio.Task[None]] = set()

    # -- reports ---------------------------------------------------------------------------

    async def report(self, diagnosis: Diagnosis, *, channel: str | None, user: str | None,
                     thread_ts: str | None = None, message_ts: str | None = None) -> Note | None:
        """Count ``diagnosis`` when it is a report; the open incident it belongs to, if any.

        ``thread_ts`` is the thread the report was answered in (it gets the resolution
        message); None for answers only the asker saw. ``message_ts`` is the pasted message,
        counted once however it reached the bot (a paste, then the shortcut on it). Never
        raises for the store: incident tracking must not cost anyone their answer.
        """
        host = _host_of(diagnosis)
        class_id = diagnosis.class_id
        if host is None or class_id is None or not is_outage(class_id):
            return None
        try:
            if channel and message_ts and not await self.store.claim(
                    self.keys.incident_message(channel, message_ts), OPEN_TTL):
                return await self._note(host) if await self._is_open(host) else None
            return await self._report(host, class_id, diagnosis, channel, user, thread_ts)
        except StoreUnavailable as exc:
            log.warning("could not count a report about %s for incidents: %s", host, exc)
            return None

    async def _report(self, host: str, class_id: str, diagnosis: Diagnosis,
                      channel: str | None, user: str | None,
                      thread_ts: str | None) -> Note | None:
        keys, store, now = self.keys, self.store, self._clock()
        opened = await store.get(keys.incident_open(host))
        ttl = OPEN_TTL if opened else self.settings.incident_window
        await store.hincr(keys.incident_causes(host), class_id, ttl)
        await self._add(host, "users", [user] if user else [], ttl)
        await self._add(host, "channels", [channel] if channel else [], ttl)
        image = diagnosis.context.image
        if image is not None and len(await store.members(keys.incident_set(host, "images"))
                                     ) < MAX_IMAGES:
            await self._add(host, "images", [str(image)], ttl)
        if thread_ts and channel:
            await self._add(host, "threads", [f"{channel}:{thread_ts}"], ttl)
        facts = await store.fields(keys.incident(host))
        await store.put_fields(keys.incident(host),
                               {"last": f"{now:.3f}", "first": facts.get("first", f"{now:.3f}")},
                               ttl)
        await store.hincr(keys.registry_hour(host), class_id, HOUR)
        await store.add_members(keys.registries_recent(), [host], HOUR)
        if not opened:
            opened = await self._maybe_open(host, channel, user, now)
        else:
            self._schedule_update(host)
        return await self._note(host) if opened else None

    async def _add(self, host: str, kind: str, members: list[str], ttl: int) -> None:
        # Nothing to add still (re)sets the expiry when the incident opens, so the whole
        # episode lives as long.
        key = self.keys.incident_set(host, kind)
        if members:
            await self.store.add_members(key, members, ttl)
        else:
            await self.store.add_members(key, list(await self.store.members(key)), ttl)

    async def _maybe_open(self, host: str, channel: str | None, user: str | None,
                          now: float) -> str | None:
        keys, store, window = self.keys, self.store, self.settings.incident_window
        count = await store.incr(keys.incident_window(host), window)
        sources = [f"user:{user}"] if user else []
        sources += [f"channel:{channel}"] if channel else []
        await store.add_members(keys.incident_sources(host), sources, window)
        if count < self.settings.incident_min_reports:
            return None
        seen = await store.members(keys.incident_sources(host))
        if (sum(s.startswith("user:") for s in seen) < 2
                and sum(s.startswith("channel:") for s in seen) < 2):
            return None
        return await self._open(host, now)

    async def _open(self, host: str, now: float) -> str | None:
        keys, store = self.keys, self.store
        incident_id = f"{host}@{now:.3f}"
        if not await store.acquire(keys.incident_open(host), incident_id, OPEN_TTL):
            return await store.get(keys.incident_open(host))  # another replica opened it
        await store.add_members(keys.incidents_open(), [host], OPEN_TTL)
        await store.put_fields(keys.incident(host), {"opened": f"{now:.3f}", "id": incident_id},
                               OPEN_TTL)
        await store.hincr(keys.incident_causes(host), "_", OPEN_TTL)  # refresh the expiry
        for kind in _EPISODE_SETS:
            await self._add(host, kind, [], OPEN_TTL)
        metrics.INCIDENTS_OPENED.inc()
        log.warning("incident opened on %s", host)
        await self._post_card(host)
        return incident_id

    async def _post_card(self, host: str) -> None:
        channel = self.settings.incident_channel
        if channel is None or self.publisher is None:
            return
        view = await self.view(host)
        if view is None:
            return
        ts = await self.publisher.post(channel, render_card(view, self._clock()))
        if ts is None:
            return
        link = await self.publisher.permalink(channel, ts)
        await self.store.put_fields(self.keys.incident(host), {
            "card_channel": channel, "card_ts": ts, **({"permalink": link} if link else {}),
        }, OPEN_TTL)
        # Reports that came while the card was being posted are not on it yet.
        self._schedule_update(host)

    async def _is_open(self, host: str) -> bool:
        return await self.store.get(self.keys.incident_open(host)) is not None

    async def _note(self, host: str) -> Note | None:
        view = await self.view(host)
        if view is None:
            return None
        return Note(host, view.reports, len(view.channels), view.first, view.permalink)

    # -- the card --------------------------------------------------------------------------

    def _schedule_update(self, host: str) -> None:
        if self.settings.incident_channel is None or self.publisher is None:
            return
        task = asyncio.create_task(self._update_later(host), name=f"incident card {host}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _update_later(self, host: str) -> None:
        pending = self.keys.incident_card_pending(host)
        try:
            # Whoever claims "pending" edits the card once the interval is over; reports in
            # between only find it claimed. It is released before the card is read, so a
            # report after that read schedules the next edit: the last count always shows.
            if not await self.store.claim(pending, int(self._update_interval * 4) + 1):
                return
            await asyncio.sleep(self._update_interval)
            await self.store.release(pending)
            await self.refresh_card(host)
        except StoreUnavailable as exc:
            log.warning("could not update the incident card of %s: %s", host, exc)

    async def refresh_card(self, host: str) -> None:
        """Edit the card of ``host``'s incident to show its current facts."""
        view = await self.view(host)
        if view is None or view.card_channel is None or view.card_ts is None:
            return
        assert self.publisher is not None
        await self.publisher.update(view.card_channel, view.card_ts,
                                    render_card(view, self._clock()))

    # -- reading ---------------------------------------------------------------------------

    async def view(self, host: str) -> IncidentView | None:
        """The facts of ``host``'s episode (None when there is none)."""
        keys, store = self.keys, self.store
        facts = await store.fields(keys.incident(host))
        if "first" not in facts:
            return None
        [causes] = await store.hgetall([keys.incident_causes(host)])
        causes.pop("_", None)
        sets = {kind: await store.members(keys.incident_set(host, kind))
                for kind in ("users", "channels", "images")}
        probe = await store.fields(keys.registry_probe(host))
        return IncidentView(
            host=host, incident_id=facts.get("id", ""),
            opened=float(facts.get("opened", facts["first"])),
            first=float(facts["first"]), last=float(facts.get("last", facts["first"])),
            reports=sum(causes.values()),
            causes=tuple(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))),
            users=len(sets["users"]), channels=tuple(sorted(sets["channels"])),
            images=tuple(sorted(sets["images"]))[:5],
            card_channel=facts.get("card_channel"), card_ts=facts.get("card_ts"),
            permalink=facts.get("permalink"),
            probe_outcome=probe.get("outcome"),
            probe_at=float(probe["at"]) if "at" in probe else None,
        )

    async def open_hosts(self) -> list[str]:
        """Hosts with an open incident."""
        hosts = sorted(await self.store.members(self.keys.incidents_open()))
        return [h for h in hosts if await self.store.get(self.keys.incident_open(h))]

    async def board(self) -> Board:
        """The status board: open incidents, and each registry reported in the last hour."""
        try:
            open_views = [v for h in await self.open_hosts() if (v := await self.view(h))]
            rows = []
            for host in sorted(await self.store.members(self.keys.registries_recent())):
                [causes] = await self.store.hgetall([self.keys.registry_hour(host)])
                if not causes:
                    continue
                probe = await self.store.fields(self.keys.registry_probe(host))
                rows.append(RegistryRow(
                    host, sum(causes.values()), max(causes, key=lambda c: (causes[c], c)),
                    probe.get("outcome"), float(probe["at"]) if "at" in probe else None))
        except StoreUnavailable as exc:
            log.warning("could not read the status board: %s", exc)
            return Board(self._clock())
        rows.sort(key=lambda r: (-r.reports, r.host))
        return Board(self._clock(), tuple(open_views), tuple(rows))

    # -- recovery --------------------------------------------------------------------------

    async def watch(self, tick: float | None = None) -> None:
        """Run ``check()`` forever, every ``tick`` seconds (default: a fifth of the re-probe
        interval, at most 5 s), so re-probes start on time on whichever replica is free."""
        every = tick if tick is not None else min(5.0, self.settings.incident_reprobe / 5)
        while True:
            try:
                await self.check()
            except StoreUnavailable as exc:
                log.warning("incident check skipped: %s", exc)
            except Exception:  # a bug here must not stop recovery for good
                log.exception("incident check failed")
            await asyncio.sleep(every)

    async def check(self) -> None:
        """One round: re-probe due incidents, resolve recovered or quiet ones."""
        hosts = await self.open_hosts()
        metrics.INCIDENTS_OPEN.set(len(hosts))
        for host in hosts:
            await self._check(host)

    async def _check(self, host: str) -> None:
        view = await self.view(host)
        incident_id = await self.store.get(self.keys.incident_open(host))
        if view is None or incident_id is None:
            return
        now = self._clock()
        if await self._may_reprobe(host, incident_id):
            if await self._reprobe(host, view):
                await self.resolve(host, incident_id, by_probe=True)
            return
        quiet = now - view.last >= self.settings.incident_window
        if quiet and (not self._probe_allowed(host) or await self._reprobes_spent(incident_id)):
            await self.resolve(host, incident_id, by_probe=False)

    def _probe_allowed(self, host: str) -> bool:
        return self.prober is not None and self.prober.config.profile_for(host) is not None

    async def _reprobes_spent(self, incident_id: str) -> bool:
        spent = await self.store.get(self.keys.incident_reprobe(f"count:{incident_id}"))
        return spent is not None and int(spent) >= MAX_REPROBES

    async def _may_reprobe(self, host: str, incident_id: str) -> bool:
        if not self._probe_allowed(host) or await self._reprobes_spent(incident_id):
            return False
        # One replica per interval: the lock simply expires, which starts the next interval.
        if not await self.store.acquire(self.keys.incident_reprobe(host), self._owner,
                                        self.settings.incident_reprobe):
            return False
        await self.store.incr(self.keys.incident_reprobe(f"count:{incident_id}"), OPEN_TTL)
        return True

    async def _reprobe(self, host: str, view: IncidentView) -> bool:
        assert self.prober is not None
        image = _probe_image(host, view.images)
        if image is None:
            return False
        result = await self.prober.probe(ProbeTarget(image), INCIDENT_REQUESTER)
        if result.refused:
            log.info("incident re-probe of %s refused: %s", host, result.refused)
            return False
        if not answers_again(result.outcome):
            await self.refresh_card(host)
        return answers_again(result.outcome)

    async def probed(self, result: ProbeResult) -> None:
        """Keep the outcome of any probe that ran anonymously (shown on the card and the
        board; a credentialed result may reveal a private repository, so it is not kept), and
        resolve an open incident when it shows the registry answering again."""
        if result.refused or result.ephemeral or result.outcome is None:
            return
        host = incident_host(result.host)
        try:
            await self.store.put_fields(self.keys.registry_probe(host), {
                "outcome": result.outcome, "at": f"{self._clock():.3f}"}, HOUR)
            incident_id = await self.store.get(self.keys.incident_open(host))
            if incident_id is not None and answers_again(result.outcome):
                await self.resolve(host, incident_id, by_probe=True)
        except StoreUnavailable as exc:
            log.warning("could not keep the probe outcome for %s: %s", host, exc)

    async def resolve(self, host: str, incident_id: str, *, by_probe: bool) -> bool:
        """End the incident ``incident_id`` on ``host``: the card turns ✅ and each affected
        thread gets one message. False when another replica already did."""
        keys, store = self.keys, self.store
        if not await store.claim(keys.incident_resolving(incident_id), OPEN_TTL):
            return False
        now = self._clock()
        view = await self.view(host)
        threads = await store.members(keys.incident_set(host, "threads"))
        await store.release_owned(keys.incident_open(host), incident_id)
        await store.delete([keys.incident(host), keys.incident_causes(host),
                            keys.incident_window(host), keys.incident_sources(host),
                            keys.incident_card_pending(host),
                            *(keys.incident_set(host, kind) for kind in _EPISODE_SETS)])
        if view is None:
            return True
        metrics.INCIDENTS_RESOLVED.inc()
        metrics.INCIDENT_SECONDS.observe(max(0.0, now - view.opened))
        log.warning("incident on %s resolved after %.0f s (%s)", host, now - view.opened,
                    "probe" if by_probe else "quiet")
        await self._announce(view, threads, now, by_probe)
        return True

    async def _announce(self, view: IncidentView, threads: set[str], now: float,
                        by_probe: bool) -> None:
        if self.publisher is None:
            return
        done = replace(view, resolved_at=now, resolved_by_probe=by_probe)
        if view.card_channel and view.card_ts:
            await self.publisher.update(view.card_channel, view.card_ts, render_card(done, now))
        message = render_resolution(done)
        for thread in sorted(threads):
            channel, _, ts = thread.partition(":")
            await self.publisher.post(channel, message, thread_ts=ts)

    async def aclose(self) -> None:
        """Cancel scheduled card edits (the next report or check schedules them again)."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with suppress(asyncio.CancelledError):
                await task


def _host_of(diagnosis: Diagnosis) -> str | None:
    context = diagnosis.context
    host = (context.registry.host if context.registry is not None
            else context.image.host if context.image is not None else None)
    return incident_host(host) if host else None



def _probe_image(host: str, images: tuple[str, ...]) -> ImageReference | None:
    # Only an image someone pasted: the probe must not invent what to ask a registry for.
    for text in images:
        with suppress(InvalidReference):
            image = parse_reference(text)
            if incident_host(image.host) == host:
                return image
    return None

