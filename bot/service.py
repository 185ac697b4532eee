"""The one place Slack front ends call: diagnose, noise control, de-duplication, feedback, stats.

Handlers stay thin: they parse Slack payloads, call a method here, render the outcome and send
it. Every decision about whether and what to answer is made here. Pasted text is only ever
handed to ``knowledge.diagnosis.diagnose``; what is kept (in Redis or memory) is class ids,
counts, fingerprints and message timestamps.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot import observe
from bot.incidents.model import Note
from bot.incidents.tracker import IncidentTracker
from bot.settings import Settings
from bot.stats import HomeStats, Stats
from bot.store import Keys, Store, StoreUnavailable
from knowledge import (
    Diagnosis,
    Entry,
    ImageReference,
    RegistryFamily,
    diagnose,
    image_alone,
    knowledge_base,
    registry_family,
)

log = logging.getLogger(__name__)

EVENT_TTL = 3600
"""Slack retries a delivery for about five minutes; an hour leaves a wide margin."""
EVENT_LEASE = 45
"""How long a claimed event stays claimed before its ack is known to be on its way. A replica
killed between claiming an event and acking it leaves only this lease behind, so Slack's
redelivery a minute later is handled instead of being ignored as a duplicate."""
MESSAGE_TTL = 24 * 3600
"""A message is answered once, even when asked again (shortcut, retry) later that day."""
VOTE_TTL = 30 * 24 * 3600
HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})


@dataclass(frozen=True, slots=True)
class Usage:
    """Show the usage card."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """The text was an image reference alone: say which registry serves it."""

    image: ImageReference
    family: RegistryFamily


@dataclass(frozen=True, slots=True)
class Explained:
    """A diagnosis to show (it may be "not sure": ``diagnosis.class_id`` is None)."""

    diagnosis: Diagnosis
    incident: Note | None = None
    """The open incident this answer's registry is part of."""

    @property
    def named(self) -> bool:
        """Whether a cause was named (worth showing to a whole thread)."""
        return self.diagnosis.class_id is not None


Answer = Usage | ImageInfo | Explained


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer this paste in its thread."""

    diagnosis: Diagnosis
    incident: Note | None = None
    """The open incident this paste's registry is part of."""


@dataclass(frozen=True, slots=True)
class Repeat:
    """The same cause again in this channel: count it instead of answering again.

    ``counter_ts`` is the counter message to update; when it is None and ``post_counter`` is
    True this instance posts the counter (under ``thread_ts``) and remembers it.
    """

    diagnosis: Diagnosis
    count: int
    window: int
    thread_ts: str
    counter_ts: str | None
    post_counter: bool
    cause: str
    """What counts as the same cause: class and registry (``<class>:<family>-<host hash>``)."""


@dataclass(frozen=True, slots=True)
class Quiet:
    """Say nothing; ``reason`` is for logs."""

    reason: str


PasteOutcome = Reply | Repeat | Quiet


@dataclass(frozen=True, slots=True)
class ThreadView:
    """What a thread holds, as far as answering a mention in it needs."""

    parent_text: str | None
    """The text of the thread's first message (None when it could not be read)."""
    answered: bool
    """Whether the bot has already replied in the thread."""


@dataclass(frozen=True, slots=True)
class AnsweredAbove:
    """Mentioned again under the bot's own answer ("thanks @registry-why"): point at it
    instead of repeating it in full."""


MentionReply = Answer | AnsweredAbove


@dataclass(frozen=True, slots=True)
class ShortcutPlan:
    """Where the answer to a message shortcut goes."""

    answer: Answer
    in_thread: bool
    """True: in the message's thread, for everyone (a named cause, answered there once);
    False, or when that post fails: only to the person who asked."""

_ANSWER_OUTCOMES: dict[type, str] = {Usage: "usage", ImageInfo: "image", Explained: "explained"}


def _cause(diagnosis: Diagnosis) -> str:
    # The same class at another registry needs its own answer (its own commands). The host is
    # kept as its family and a hash: an ECR host name carries the AWS account id.
    context = diagnosis.context
    host = (context.registry.host if context.registry is not None
            else context.image.host if context.image is not None else None)
    if host is None:
        return f"{diagnosis.class_id}:none"
    digest = hashlib.sha256(host.lower().encode()).hexdigest()[:12]
    return f"{diagnosis.class_id}:{registry_family(host)}-{digest}"


class Service:
    """Registry-why's behaviour in Slack, independent of how Slack delivered the request."""

    def __init__(self, settings: Settings, store: Store, *, probe_enabled: bool = False,
                 incidents: IncidentTracker | None = None) -> None:
        self.settings = settings
        self.store = store
        self.incidents = incidents if incidents is not None else IncidentTracker(settings, store)
        """Incident mode: every report goes through it (see bot.incidents.tracker)."""
        self.keys = Keys(settings.redis_prefix)
        self.stats = Stats(store, self.keys)
        self.probe_enabled = probe_enabled
        """Whether a registry probe is configured (offers "Probe registry" buttons)."""

    async def warm_up(self) -> None:
        """Load the knowledge base and build the classifier now, not on the first request
        (a broken entry file then stops the start, with its name)."""
        await asyncio.to_thread(diagnose, "warm-up")

    async def first_delivery(self, event_id: str) -> bool:
        """True the first time an Events API ``event_id`` is seen (by any replica).

        The claim is a lease until ``acked`` confirms it: see ``EVENT_LEASE``.
        """
        first = await self.store.claim(self.keys.event(event_id), EVENT_LEASE)
        if not first:
            observe.redelivery_ignored()
        return first

    async def acked(self, event_id: str) -> None:
        """The event claimed by ``first_delivery`` is acked: keep it claimed for good."""
        await self.store.put(self.keys.event(event_id), "1", EVENT_TTL)

    async def claim_message(self, channel: str, ts: str) -> bool:
        """True for the first caller about to answer the message ``(channel, ts)``."""
        first = await self.store.claim(self.keys.seen(channel, ts), MESSAGE_TTL)
        if not first:
            observe.noted("message already answered")
        return first

    async def diagnose(self, text: str) -> Diagnosis:
        """Diagnose a paste off the event loop, so acks are never held up by a long paste."""
        diagnosis = await asyncio.to_thread(diagnose, text)
        log.debug("diagnosed %s as %s (%.2f)", diagnosis.fingerprint, diagnosis.class_id,
                  diagnosis.confidence)
        observe.diagnosed(diagnosis.class_id, diagnosis.confidence)
        return diagnosis

    async def answer(self, text: str, *, channel: str | None = None, user: str | None = None,
                     thread_ts: str | None = None, message_ts: str | None = None) -> Answer:
        """The answer to someone who asked (slash command, mention, shortcut); ``thread_ts``
        is the thread it goes to, when it goes to one; ``message_ts`` the message that holds
        the paste, when there is one.

        Asked is not unasked: whatever registry failure the text shows is named, with its
        honest confidence (and a close second cause when there is one); "not sure" is left
        for text that shows none, and then says what it did see.
        """
        answer = await self._answer(text)
        observe.noted(_ANSWER_OUTCOMES[type(answer)])
        if isinstance(answer, Explained) and answer.named:
            note = await self.incidents.report(answer.diagnosis, channel=channel, user=user,
                                               thread_ts=thread_ts, message_ts=message_ts)
            return replace(answer, incident=note)
        return answer

    async def _answer(self, text: str) -> Answer:
        stripped = text.strip()
        if not stripped or stripped.lower() in HELP_WORDS:
            return Usage()
        diagnosis = await self.diagnose(stripped)
        image = image_alone(stripped, diagnosis)
        if image is not None:
            return ImageInfo(image, registry_family(image.host))
        return Explained(diagnosis)

    async def answer_mention(
        self, text: str, *, channel: str, ts: str, thread_ts: str | None, user: str | None,
        read_thread: Callable[[], Awaitable[ThreadView]],
    ) -> MentionReply | None:
        """The reply to a mention of the bot (posted in the mention's thread); None when the
        message was already answered.

        The text after the mention is diagnosed first. When it names no cause and the mention
        is in a thread, the thread's first message is the error: ``read_thread`` is called to
        read it (and whether the bot already answered there).
        """
        if not await self.claim_message(channel, ts):
            return None
        reply_thread = thread_ts or ts
        answer: Answer = Usage()
        if text.strip():
            answer = await self.answer(text, channel=channel, user=user,
                                       thread_ts=reply_thread, message_ts=ts)
            if isinstance(answer, Explained) and answer.named:
                return answer
        if thread_ts is None or thread_ts == ts:
            return answer
        thread = await read_thread()
        if thread.answered and not isinstance(answer, ImageInfo):
            return AnsweredAbove()
        if thread.parent_text and thread.parent_text.strip():
            from_parent = await self.answer(thread.parent_text, channel=channel, user=user,
                                            thread_ts=reply_thread, message_ts=thread_ts)
            if (isinstance(from_parent, Explained) and from_parent.named) or not text.strip():
                return from_parent
        return answer

    async def answer_shortcut(self, text: str, *, channel: str, user: str | None,
                              message_ts: str | None) -> ShortcutPlan:
        """The answer to "Explain registry error" on a message, and where it goes."""
        answer = await self.answer(text, channel=channel, user=user, message_ts=message_ts)
        in_thread = (isinstance(answer, Explained) and answer.named and message_ts is not None
                     and await self.claim_message(channel, message_ts))
        return ShortcutPlan(answer, in_thread)

    async def show_repeat(
        self, channel: str, repeat: Repeat, *,
        post: Callable[[int], Awaitable[str | None]],
        update: Callable[[str, int], Awaitable[None]],
    ) -> None:
        """Keep the one counter message of a repeated cause up to date.

        ``post(count)`` posts a new counter under the first answer and returns its ts (None
        when posting failed); ``update(ts, count)`` edits one. Exactly one instance posts
        (``repeat.post_counter``); repeats that arrive while it posts are caught up after.
        """
        if repeat.counter_ts:
            await update(repeat.counter_ts, repeat.count)
            return
        if not repeat.post_counter:
            return
        ts = await post(repeat.count)
        if ts is None:
            return
        latest = await self.remember_counter(channel, repeat, ts)
        if latest > repeat.count:
            await update(ts, latest)

    async def consider_paste(self, channel: str, ts: str, thread_ts: str,
                             text: str, user: str | None = None) -> PasteOutcome:
        """Whether and how to answer a message pasted in a channel (noise control included).

        ``thread_ts`` is where an answer would go: the message's thread, or the message.
        """
        outcome = await self._consider_paste(channel, ts, thread_ts, text)
        if isinstance(outcome, Reply | Repeat):
            note = await self.incidents.report(outcome.diagnosis, channel=channel, user=user,
                                               thread_ts=thread_ts if isinstance(outcome, Reply)
                                               else outcome.thread_ts, message_ts=ts)
            if isinstance(outcome, Reply):
                outcome = replace(outcome, incident=note)
        match outcome:
            case Quiet(reason=reason):
                observe.paste_outcome("quiet", reason)
            case Repeat():
                observe.paste_outcome("repeat")
            case Reply():
                observe.paste_outcome("reply")
        return outcome

    async def _consider_paste(self, channel: str, ts: str, thread_ts: str,
                              text: str) -> PasteOutcome:
        auto_reply, threshold = self.settings.policy_for(channel)
        if not auto_reply:
            return Quiet("auto-reply is off in this channel")
        diagnosis = await self.diagnose(text)
        if diagnosis.class_id is None:
            return Quiet("not a registry error")
        # Nobody asked: only a cause that is sure from the paste alone earns a reply. The
        # asked reading (a registry is assumed) would answer chat that merely looks close.
        if not diagnosis.answer_unasked(threshold):
            return Quiet(f"unasked confidence {diagnosis.unasked_confidence:.2f} below "
                         f"{threshold:.2f}")
        if not await self.claim_message(channel, ts):
            return Quiet("message already answered")
        return await self._noise_control(channel, thread_ts, diagnosis)

    async def _noise_control(self, channel: str, thread_ts: str,
                             diagnosis: Diagnosis) -> PasteOutcome:
        window = self.settings.repeat_window
        if window == 0:
            return Reply(diagnosis)
        cause = _cause(diagnosis)
        count = await self.store.incr(self.keys.repeat(channel, cause), window)
        first_thread = (await self.store.get(self.keys.repeat_thread(channel, cause))
                        if count > 1 else None)
        if first_thread is None:
            # First in the window, or the record of the first answer is gone: answer in full.
            await self.store.put(self.keys.repeat_thread(channel, cause), thread_ts, window)
            return Reply(diagnosis)
        counter_ts = await self.store.get(self.keys.repeat_counter(channel, cause, first_thread))
        post = counter_ts is None and await self.store.claim(
            self.keys.repeat_counter_lock(channel, cause, first_thread), window)
        return Repeat(diagnosis, count, window, first_thread, counter_ts, post, cause)

    async def count_shown(self, shown: Answer | PasteOutcome) -> None:
        """Count the cause of an answer for App Home, once the answer was sent.

        Called after the reply, so stats never delay or block one; a store that fails here is
        logged, not raised (the reply already reached the person)."""
        match shown:
            case Explained(diagnosis=diagnosis) | Reply(diagnosis=diagnosis) | Repeat(
                    diagnosis=diagnosis) if diagnosis.class_id is not None:
                try:
                    await self.stats.record(diagnosis.class_id)
                except StoreUnavailable as exc:
                    log.warning("could not count %s for App Home: %s", diagnosis.class_id, exc)

    async def remember_counter(self, channel: str, repeat: Repeat, ts: str) -> int:
        """Keep the ts of the counter message just posted for ``repeat``, so later repeats
        update it; returns the count now, which repeats that came while the counter was being
        posted (and found no counter to update) may have raised above ``repeat.count``."""
        await self.store.put(self.keys.repeat_counter(channel, repeat.cause, repeat.thread_ts),
                             ts, self.settings.repeat_window)
        now = await self.store.get(self.keys.repeat(channel, repeat.cause))
        return max(repeat.count, int(now)) if now is not None else repeat.count

    async def claim_full_guide(self, channel: str, ts: str) -> bool:
        """True the first time the full guide is asked for under the message ``(channel, ts)``."""
        return await self.store.claim(self.keys.guide_posted(channel, ts), MESSAGE_TTL)

    async def release_full_guide(self, channel: str, ts: str) -> None:
        """The full guide could not be posted: let the next click try again."""
        await self.store.release(self.keys.guide_posted(channel, ts))

    async def claim_share(self, channel: str, ts: str) -> bool:
        """True for the first click on "Share in channel" under the answer ``(channel, ts)``."""
        return await self.store.claim(self.keys.shared(channel, ts), MESSAGE_TTL)

    async def release_share(self, channel: str, ts: str) -> None:
        """Sharing failed: let the next click try again."""
        await self.store.release(self.keys.shared(channel, ts))

    async def record_feedback(self, class_id: str, helpful: bool, user: str,
                              message: str) -> bool:
        """Count a vote once per person per reply; False when it was already counted or the
        class is unknown."""
        if class_id not in knowledge_base():
            return False
        if not await self.store.claim(self.keys.vote(message, user), VOTE_TTL):
            return False
        await self.stats.record_feedback(class_id, helpful)
        return True

    async def home(self) -> tuple[list[Entry], HomeStats]:
        """The known causes and recent activity, for App Home."""
        return list(knowledge_base()), await self.stats.read()

    async def ready(self) -> bool:
        """Whether the store answers (always true without Redis)."""
        return await self.store.ping()
