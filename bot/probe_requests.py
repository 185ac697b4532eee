"""The registry probe in Slack: which image a click or a command may probe, and probing it.

User text decides which host the probe calls, so what is probed must be what the paste (or
the command argument) named, never anything else:

* a "Probe registry" button carries the reply's packed diagnosis (or, on an image card, the
  bare reference), so its image is the one the reply was about;
* when Slack sends the reply back with the click (a message in a channel), the click's value
  must be exactly the value of that reply's own probe button, or nothing is probed;
* an ephemeral reply is not sent back, and only its reader can click it: its value must still
  be a reply state or a reference, and the result goes to that reader alone;
* ``/registry-why probe <image>`` probes its argument, for the asker alone.

The probe's own policy (listed hosts, blocked addresses, credentials, rate limits) applies to
every one of these; see :mod:`bot.probe`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot import observe
from bot.probe import ProbeCache, ProbeConfig, ProbeResult, Requester, choose_tier, probe_image
from bot.render.button_state import ButtonStateError, unpack
from bot.slack.ids import ACTION_PROBE
from knowledge import (
    Diagnosis,
    ImageReference,
    InvalidReference,
    mask_secrets,
    normalize,
    parse_reference,
)

COMMAND_WORD = "probe"
"""``/registry-why probe <image>``."""
COMMAND_USAGE = (
    "Usage: /registry-why probe <image>, for example /registry-why probe ghcr.io/org/app:1.2"
)
PROBE_OFF = (
    "The registry probe is not enabled on this bot. An operator can turn it on with "
    "REGISTRY_WHY_PROBE=true or a registries file (REGISTRY_WHY_REGISTRIES)."
)
MISMATCHED_BUTTON = (
    "This button does not match the reply it is on, so nothing was probed. "
    "Ask again with /registry-why probe <image>."
)
STALE_BUTTON = "This button can no longer be used (the bot has changed since); nothing was probed."
PROBE_FAILED = (
    "The probe could not finish because of an error in the bot, so nothing was concluded. "
    "Try again in a minute; if it keeps failing, an operator can find the error in the bot's log."
)


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    """An image the asker may have probed, and what the reply it came from said about it."""

    image: ImageReference
    suspected: str | None = None
    """The class the reply named (judged against what the probe sees), if any."""
    diagnosis: Diagnosis | None = None
    """The reply's diagnosis, to rebuild an ephemeral reply; None for an image card or a
    command."""


@dataclass(frozen=True, slots=True)
class NotProbed:
    """Nothing will be probed; ``reason`` is for the person who asked."""

    reason: str


def probe_values(blocks: Iterable[Mapping[str, Any]]) -> set[str]:
    """The values of every "Probe registry" button in a message's blocks."""
    return {
        str(element.get("value", ""))
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements") or ()
        if isinstance(element, Mapping) and element.get("action_id") == ACTION_PROBE
    }


def target_from_button(
    value: str, reply_blocks: Iterable[Mapping[str, Any]] | None
) -> ProbeTarget | NotProbed:
    """What a click on "Probe registry" may probe.

    ``reply_blocks`` are the blocks of the message the button is on, as Slack sent them with
    the click (None for an ephemeral reply, which Slack does not send back).
    """
    if reply_blocks is not None and value not in probe_values(reply_blocks):
        return NotProbed(MISMATCHED_BUTTON)
    if value.startswith("{"):
        try:
            diagnosis = unpack(value)
        except ButtonStateError:
            return NotProbed(STALE_BUTTON)
        if diagnosis.context.image is None:
            return NotProbed("This reply names no image, so there is nothing to probe.")
        return ProbeTarget(diagnosis.context.image, diagnosis.class_id, diagnosis)
    try:
        return ProbeTarget(parse_reference(value))
    except InvalidReference:
        return NotProbed(STALE_BUTTON)


def command_argument(text: str) -> str | None:
    """The ``<image>`` of ``probe <image>`` (empty when missing); None when the command text
    is not a probe request."""
    word, _, rest = text.strip().partition(" ")
    return rest.strip() if word.lower() == COMMAND_WORD else None


def target_from_command(argument: str) -> ProbeTarget | NotProbed:
    """What ``/registry-why probe <argument>`` may probe: the one reference it names."""
    # Slack may deliver a typed host as a link (<http://ghcr.io/x|ghcr.io/x>): read it back.
    text = normalize(argument).strip()
    if not text:
        return NotProbed(COMMAND_USAGE)
    if any(ch.isspace() for ch in text):
        return NotProbed(f"Give one image reference. {COMMAND_USAGE}")
    try:
        return ProbeTarget(parse_reference(text))
    except InvalidReference as exc:
        # The problem quotes the argument, and people paste tokens into commands too.
        problem, _found = mask_secrets(exc.problem)
        return NotProbed(f"That is not an image reference: {problem}. {COMMAND_USAGE}")


class Prober:
    """The probe as Slack uses it: one configuration and one shared cache per process."""

    def __init__(self, config: ProbeConfig, cache: ProbeCache) -> None:
        self.config = config
        self.cache = cache
        self.listeners: list[Callable[[ProbeResult], Awaitable[None]]] = []
        """Told every result (incident mode keeps the last outcome per registry)."""

    def shows_openly(self, target: ProbeTarget, requester: Requester) -> bool:
        """Whether this asker's probe of ``target`` would give a result fit for a channel: the
        host may be probed, and without the operator's credential. Known before probing, so
        progress is shown in the open only when the result will be too; the result's own
        ``ephemeral`` and ``refused`` decide in the end."""
        profile = self.config.profile_for(target.image.host)
        if profile is None:
            return False
        tier, _ = choose_tier(profile, target.image.repository, requester)
        return tier == "anonymous"

    async def probe(self, target: ProbeTarget, requester: Requester) -> ProbeResult:
        """Probe the target's image for ``requester``, judging the reply's class if any.

        Never raises for what the registry or network does; refusals (host not allowed,
        address blocked, rate limit) come back with ``refused`` set.
        """
        result = await probe_image(
            target.image,
            suspected=target.suspected,
            requester=requester,
            config=self.config,
            cache=self.cache,
        )
        observe.probed(result)
        for listener in self.listeners:
            await listener(result)
        return result
