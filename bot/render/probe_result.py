"""A probe's result as Slack Block Kit: the verdict, what the bot saw, and the evidence.

Probe output goes just above a reply's buttons (``with_probe``), replacing any earlier probe
output, or stands alone (``render_probe_message``) for ``/registry-why probe`` and private
results. Evidence lines are sanitised by the probe; everything is also escaped for mrkdwn
here, because a registry's message is text someone else wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.incidents.classes import answers_again, is_outage
from bot.probe import PackageProbeResult, ProbeResult
from bot.probe_requests import ProbeTarget
from bot.render.blocks import (
    MAX_BLOCKS,
    MAX_SECTION,
    MAX_TEXT,
    Block,
    Message,
    escape,
    render_diagnosis,
    render_image,
    truncate,
)
from bot.slack.ids import ACTIONS_BLOCK, PROBE_BLOCK
from knowledge import knowledge_base, registry_family

_VERDICTS = {
    "confirmed": (":white_check_mark:", "Confirmed", "The registry shows the same from here."),
    "refuted": (":x:", "Refuted", "The registry shows something else from here."),
    "inconclusive": (":grey_question:", "Inconclusive",
                     "The bot cannot tell from where it stands."),
}


def _title(class_id: str) -> str:
    kb = knowledge_base()
    return kb[class_id].title if class_id in kb else class_id


def _named(class_id: str) -> str:
    return f"*{escape(_title(class_id))}* (`{escape(class_id)}`)"


def _code(lines: Sequence[str]) -> str:
    return "```" + escape("\n".join(lines)).replace("```", "`\u200b``") + "```"


def _block(suffix: str, block: Block) -> Block:
    return {**block, "block_id": f"{PROBE_BLOCK}{suffix}"}


def _section(suffix: str, text: str) -> Block:
    return _block(suffix, {"type": "section",
                           "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION)}})


def _context(suffix: str, text: str) -> Block:
    return _block(suffix, {"type": "context",
                           "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_SECTION)}]})


def _fine(result: ProbeResult) -> str:
    """What ``ok`` means for what was probed."""
    if isinstance(result, PackageProbeResult):
        return "the package can be fetched from here (`ok`)"
    return "the image can be pulled from here (`ok`)"


def _seen(result: ProbeResult) -> str:
    if result.outcome == "ok":
        return _fine(result)
    if result.outcome is None:
        return "nothing the bot could name"
    return _named(result.outcome)


def _summary(result: ProbeResult) -> str:
    head = f"*Registry probe* of `{escape(result.image)}`"
    if result.refused:
        return f"{head}\n:no_entry: *Not probed:* {escape(result.refused)}"
    lines = [head]
    if result.verdict is not None and result.suspected is not None:
        emoji, word, gloss = _VERDICTS[result.verdict]
        if is_outage(result.suspected):
            # For an outage the person wants the registry's health: still failing is ❌, and
            # the same button pressed after the fix turns the line ✅.
            emoji, gloss = _outage_look(result, emoji, gloss)
        lines.append(f"{emoji} *{word}:* {_named(result.suspected)}")
        lines.append(escape(result.verdict_reason) if result.verdict_reason else gloss)
        if result.outcome != result.suspected:
            lines.append(f"What the bot saw: {_seen(result)}")
    elif result.outcome == "ok":
        fine = _fine(result)
        lines.append(f":white_check_mark: {fine[0].upper()}{fine[1:]}.")
    else:
        lines.append(f":warning: From here: {_seen(result)}")
    return "\n".join(lines)


def _outage_look(result: ProbeResult, emoji: str, gloss: str) -> tuple[str, str]:
    if answers_again(result.outcome):
        return ":white_check_mark:", "The registry answers again from here."
    if result.verdict == "confirmed":
        return ":x:", "The registry still fails the same way from here."
    return emoji, gloss


def _footer(result: ProbeResult) -> str:
    parts = ["Seen from the bot's network, not yours"]
    if result.tier == "credentialed":
        parts.append(":lock: checked with the bot's pull credential, so shown only to you")
    elif not result.refused:
        parts.append("anonymous request")
    if not result.refused:
        parts.append(f"{result.elapsed_ms} ms" + (" (shared result)" if result.cached else ""))
    return " · ".join(parts)


def render_probe(result: ProbeResult) -> list[Block]:
    """The blocks for one probe result (at most four)."""
    blocks = [_section("", _summary(result))]
    if result.evidence and not result.refused:
        blocks.append(_section("-evidence", "*Evidence*\n" + _code(result.evidence)))
    if result.next_steps:
        blocks.append(_section("-steps", "*Check from your side*\n" + _code(result.next_steps)))
    blocks.append(_context("-note", _footer(result)))
    return blocks


def render_probing(image: str) -> list[Block]:
    """The note shown while a probe runs."""
    return [_context("", f":hourglass_flowing_sand: Probing `{escape(image)}` from the bot's "
                         "network...")]


def probe_text(result: ProbeResult) -> str:
    """The plain-text fallback (notifications, screen readers)."""
    if result.refused:
        text = f"Registry probe of {result.image}: not probed: {result.refused}"
    elif result.verdict is not None and result.suspected is not None:
        text = f"Registry probe of {result.image}: {result.suspected} {result.verdict}"
    else:
        text = f"Registry probe of {result.image}: {result.outcome or 'nothing named'}"
    return truncate(escape(text), MAX_TEXT)


def render_probe_message(result: ProbeResult) -> Message:
    """A probe result on its own (the command's answer, a private result)."""
    return Message(probe_text(result), render_probe(result))


def render_probing_message(image: str) -> Message:
    """The command's first answer while the probe runs."""
    return Message(escape(f"Probing {image}..."), render_probing(image))


def with_probe(blocks: Sequence[Mapping[str, Any]], probe: Sequence[Block]) -> list[Block]:
    """A reply's blocks with ``probe`` just above its buttons, replacing earlier probe output,
    and within Slack's block limit (the reply's middle gives way, never its buttons)."""
    kept = [dict(b) for b in blocks if not str(b.get("block_id", "")).startswith(PROBE_BLOCK)]
    at = next((i for i in range(len(kept) - 1, -1, -1)
               if kept[i].get("type") == "actions" and kept[i].get("block_id") == ACTIONS_BLOCK),
              len(kept))
    room = max(0, MAX_BLOCKS - len(probe) - (len(kept) - at))
    return [*kept[:at][:room], *probe, *kept[at:]]


def render_reply(target: ProbeTarget) -> Message:
    """Rebuild the reply a probe button was on (ephemeral replies are not sent back by Slack)."""
    if target.diagnosis is not None:
        return render_diagnosis(target.diagnosis, shareable=True, probe=True)
    assert target.image is not None, "a package is probed from a reply, which has a diagnosis"
    return render_image(target.image, registry_family(target.image.host), probe=True)
