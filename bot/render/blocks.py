"""Diagnosis -> Slack Block Kit, with a plain ``text`` fallback, within Slack's limits.

Everything that reaches mrkdwn is escaped (``&``, ``<``, ``>``), so a paste containing
``<!channel>`` or ``<@U123>`` is shown as text and pings no one; the knowledge base's own
``<placeholders>`` need the same care. Limits enforced here: 50 blocks a message (100 in App
Home), 3000 characters a section, 150 a header, 10 context elements, 2000 a button value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.probe_requests import target_of
from bot.render.button_state import pack
from bot.render.terminal import close_cause, redaction_notice, short_evidence
from bot.slack.ids import (
    ACTION_FULL_GUIDE,
    ACTION_HELPFUL,
    ACTION_NOT_HELPFUL,
    ACTION_PROBE,
    ACTION_SHARE,
    ACTIONS_BLOCK,
    COMMAND,
)
from bot.stats import RATE_DAYS, HomeStats
from knowledge import (
    Diagnosis,
    Entry,
    Guide,
    GuideStep,
    ImageReference,
    RegistryFamily,
    access_checks,
    family_label,
    knowledge_base,
)

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_TEXT = 3000
"""Fallback ``text`` is kept short: it shows in notifications, Slack allows far more."""


_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


@dataclass(frozen=True, slots=True)
class Message:
    """A Slack message: blocks plus the plain-text fallback Slack needs."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Arguments for ``chat.postMessage`` / ``respond()``."""
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Escape text for mrkdwn: only ``&``, ``<`` and ``>``, as Slack asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    # A ``` inside pasted text would close the code block early.
    return "```" + escape(text).replace("```", "`\u200b``") + "```"


def truncate(text: str, limit: int) -> str:
    """Cut mrkdwn to ``limit`` characters without splitting an escape or leaving a code block
    open."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 5])
    if cut.count("```") % 2:
        cut += "…```"
    else:
        cut += "…"
    return cut


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION)}}


def _header(text: str) -> Block:
    plain = text if len(text) <= MAX_HEADER else text[: MAX_HEADER - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def _context(items: Iterable[str]) -> Block:
    elements = [{"type": "mrkdwn", "text": truncate(t, MAX_SECTION)} for t in items]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "action_id": action_id, "value": value,
                     "text": {"type": "plain_text", "text": text, "emoji": True}}
    if style:
        button["style"] = style
    return button


def _steps(heading: str, steps: Sequence[GuideStep]) -> str:
    lines = [f"*{heading}*"]
    for step in steps:
        lines.append(f"• {escape(step.text)}")
        if step.commands:
            lines.append(_code("\n".join(step.commands)))
    return "\n".join(lines)


def _bullets(heading: str, items: Iterable[str]) -> str:
    return "\n".join([f"*{heading}*", *(f"• {escape(i)}" for i in items)])


def _percent(confidence: float) -> str:
    return f"{confidence:.0%}"


def _facts(diagnosis: Diagnosis) -> list[str]:
    context = diagnosis.context
    facts = [f"`{diagnosis.class_id}`", f"{_percent(diagnosis.confidence)} confident"]
    if context.image:
        facts.append(f"image `{escape(str(context.image))}`")
    if context.registry:
        label = family_label(context.registry.family)
        facts.append(f"{escape(label)} ({escape(context.registry.host)})")
    if context.tool:
        facts.append(f"tool: {escape(context.tool)}")
    return [" · ".join(facts)]


def _secret_block(diagnosis: Diagnosis) -> list[Block]:
    sentence = redaction_notice(diagnosis)
    return [_section(f":warning: {escape(sentence)}")] if sentence else []


def _extras(diagnosis: Diagnosis) -> list[Block]:
    items = []
    if diagnosis.others:
        items.append("Also in this paste: " + ", ".join(
            f"`{o.class_id}` ({_percent(o.confidence)})" for o in diagnosis.others))
    if diagnosis.alternatives:
        items.append("Could also be: " + ", ".join(
            f"`{a.class_id}` ({_percent(a.confidence)})" for a in diagnosis.alternatives))
    return [_context(items)] if items else []


def _actions(diagnosis: Diagnosis, *, shareable: bool, probe: bool) -> Block:
    assert diagnosis.class_id is not None
    state = pack(diagnosis)
    buttons = [_button("Show full guide", ACTION_FULL_GUIDE, state)]
    if shareable:
        buttons.append(_button("Share in channel", ACTION_SHARE, state, "primary"))
    buttons += [
        _button(":thumbsup: Helpful", ACTION_HELPFUL, diagnosis.class_id),
        _button(":thumbsdown: Not helpful", ACTION_NOT_HELPFUL, diagnosis.class_id),
    ]
    if probe and target_of(diagnosis) is not None:
        # The same state as the other buttons: the class to judge and the image or package to
        # probe, and enough to rebuild an ephemeral reply (Slack does not send those back with
        # a click).
        buttons.append(_button("Probe registry", ACTION_PROBE, state))
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons}


def _fit(blocks: list[Block], limit: int) -> list[Block]:
    """Keep the last block (the actions) and as many of the others as fit."""
    if len(blocks) <= limit:
        return blocks
    note = _context(["(shortened to fit Slack's limits: use *Show full guide*)"])
    return [*blocks[: limit - 2], note, blocks[-1]]


def render_diagnosis(
    diagnosis: Diagnosis, *, shareable: bool = False, probe: bool = False,
    shared_by: str | None = None,
) -> Message:
    """A reply for one diagnosis: the cause, evidence, fix-it-fast steps, don'ts, buttons.

    ``shareable`` adds "Share in channel" (for ephemeral answers); ``probe`` adds
    "Probe registry" when the paste names an image, or a package the probe can ask about;
    ``shared_by`` is a user id to credit.
    """
    if diagnosis.class_id is None or diagnosis.guide is None:
        return render_not_sure(diagnosis)
    guide = diagnosis.guide
    blocks: list[Block] = [_header(f":mag: {diagnosis.title}")]
    blocks += _secret_block(diagnosis)
    if diagnosis.evidence:
        blocks.append(_section(_code(short_evidence(diagnosis.evidence))))
    if close := close_cause(diagnosis):
        blocks.append(_section(f":left_right_arrow: {escape(close)}"))
    blocks.append(_section(_short_answer(guide, diagnosis)))
    blocks.append(_context(_facts(diagnosis)))
    blocks += _extras(diagnosis)
    if shared_by:
        blocks.append(_context([f"Shared by <@{shared_by}>"]))
    blocks.append(_actions(diagnosis, shareable=shareable, probe=probe))
    return Message(_fallback(diagnosis), _fit(blocks, MAX_BLOCKS))


def _labelled(label: str, step: GuideStep) -> list[str]:
    lines = [f"*{label}:* {escape(step.text)}".rstrip()]
    if step.commands:
        lines.append(_code("\n".join(step.commands)))
    return lines


def _short_answer(guide: Guide, diagnosis: Diagnosis) -> str:
    """The short answer: one confirming command, the fix for this registry and client, how to
    verify, at most two don'ts (the rest is behind *Show full guide*)."""
    short, registry = guide.short, diagnosis.context.registry
    fix_label = (f"Fix on {family_label(registry.family)}"
                 if registry and short.registry_fix else "Fix")
    lines = _labelled("Confirm", short.confirm) if short.confirm else []
    for number, step in enumerate(short.fix):
        lines += _labelled(fix_label if number == 0 else "Fix", step)
    if short.verify:
        lines += _labelled("Verify", short.verify)
    lines += [f":no_entry_sign: {escape(item)}" for item in short.dont]
    return "\n".join(lines)


def _fallback(diagnosis: Diagnosis) -> str:
    parts = [f"{diagnosis.title}: {diagnosis.meaning}"]
    if sentence := redaction_notice(diagnosis):
        parts.insert(0, sentence)
    return truncate(escape(" ".join(parts)), MAX_TEXT)


def render_not_sure(diagnosis: Diagnosis) -> Message:
    """The answer when no cause could be named (only for people who asked)."""
    blocks: list[Block] = [_header("Not sure what this error is")]
    blocks += _secret_block(diagnosis)
    if diagnosis.seen:
        said = f"I see {escape(diagnosis.seen)}, but I can't name its cause."
        text = f"Not sure: I see {diagnosis.seen}, but I can't name its cause."
    else:
        said = "I couldn't name a registry error in that text."
        text = "Not sure: I couldn't name a registry error in that text."
    tries = [escape(step) for step in diagnosis.try_next] or [
        "Paste the whole error line as the tool printed it (`docker pull`, kubelet events, CI "
        "logs)."]
    blocks.append(_section("\n".join(
        [said, *(f"• {step}" for step in tries), f"Usage: `{COMMAND} help`."])))
    blocks += _extras(diagnosis)
    if sentence := redaction_notice(diagnosis):
        text = f"{sentence} {text}"
    return Message(escape(text), blocks)


def render_usage() -> Message:
    """The short usage card (empty text or ``help``)."""
    body = (
        f"*`{COMMAND} <pasted error>`* explains a container registry error and how to fix it "
        "safely; only you see the answer until you share it.\n"
        f"*`{COMMAND} <image>`* (for example `ghcr.io/org/app:1.2`) says which registry "
        "serves it and how to check your access.\n"
        f"*`{COMMAND} probe <image>`* asks the image's registry from the bot's side whether it "
        "can be pulled; *`probe npm @acme/ui@1.2.0 https://npm.acme.io/`* asks a package "
        "registry (npm, pypi, maven, nuget) about a package (when the operator has enabled "
        "the probe).\n"
        f"*`{COMMAND} status`* shows open registry incidents and what each registry reported "
        "in the last hour.\n"
        "*Paste an error in a channel I'm in*: I reply in its thread when I'm sure.\n"
        "*Mention me in a thread*: I explain the thread's first message.\n"
        "*Message menu > Explain registry error*: explains any message.\n"
        "Secrets in pastes are masked; pasted text is never stored."
    )
    return Message(
        escape(f"Usage: {COMMAND} <pasted error> or {COMMAND} <image>"),
        [_header("registry-why: explain registry errors"), _section(body)],
    )


def render_image(image: ImageReference, family: RegistryFamily, *, probe: bool) -> Message:
    """What registry serves an image and how to check access to it."""
    ref = str(image)
    label = family_label(family)
    checks = access_checks(image)
    blocks: list[Block] = [
        _header(f"About {ref}"),
        _section(f"*Registry:* `{escape(image.host)}` ({escape(label)})\n"
                 f"*Repository:* `{escape(image.repository)}` · "
                 f"*Reference:* `{escape(image.reference)}`"),
        _section(_steps("Check your access", checks)),
    ]
    if probe:
        blocks.append({"type": "actions", "block_id": ACTIONS_BLOCK,
                       "elements": [_button("Probe registry", ACTION_PROBE, ref, "primary")]})
    return Message(escape(f"{ref} is served by {image.host} ({label})."), blocks)


def render_full_guide(diagnosis: Diagnosis) -> Message:
    """The rest of an entry: confirm, check, fix, verify, why, look-alikes, references."""
    if diagnosis.class_id is None or diagnosis.guide is None:
        raise ValueError("the full guide needs a named diagnosis")
    entry, guide = knowledge_base()[diagnosis.class_id], diagnosis.guide
    blocks: list[Block] = [_header(f"Full guide: {entry.title}")]
    for heading, steps in (("1. Confirm it is this error", guide.confirm),
                           ("2. Check the cause", guide.check),
                           ("3. Apply the safe fix", guide.fix),
                           ("4. Verify", guide.verify)):
        blocks.append(_section(_steps(heading, steps)))
    if guide.registry_note:
        blocks.append(_section(_steps("For this registry", (guide.registry_note,))))
    blocks.append(_section(_bullets("Don't", guide.dont)))
    blocks.append(_section("*Why it happens*\n" + escape(guide.why.strip())))
    if entry.look_alikes:
        blocks.append(_section(_bullets("Easily confused with", (
            f"{la.id}: {la.tell}" for la in entry.look_alikes))))
    links = [f"• <{escape(str(url))}>" for url in entry.references]
    blocks.append(_section("*References*\n" + "\n".join(links)))
    blocks.append(_context([f"`{entry.id}`"]))
    return Message(escape(f"Full guide: {entry.title}"), _fit(blocks, MAX_BLOCKS))


def render_repeat_counter(channel: str, class_id: str, title: str, count: int,
                          window: int) -> Message:
    """The counter kept under the first answer when one cause keeps being pasted."""
    minutes = max(1, round(window / 60))
    text = (f":repeat: *{escape(title)}* (`{class_id}`) seen {count} times in <#{channel}> "
            f"in the last {minutes} min. The answer above applies to each of them.")
    return Message(escape(f"{title} seen {count} times in the last {minutes} min"),
                   [_section(text)])


def render_answered_above() -> Message:
    """The brief reply to a mention in a thread the bot has already answered."""
    text = ("I answered this above in this thread. To explain another error, mention me "
            "with the error, or use *Explain registry error* on its message.")
    return Message("Answered above in this thread.", [_section(text)])


def render_home(entries: Sequence[Entry], stats: HomeStats) -> dict[str, Any]:
    """The App Home view: how to use the bot, recent activity, the causes it knows."""
    titles = {e.id: e.title for e in entries}

    def top(items: Sequence[tuple[str, int]]) -> str:
        if not items:
            return "_nothing yet_"
        return "\n".join(f"{n}. {escape(titles.get(c, c))} (`{c}`): {count}"
                         for n, (c, count) in enumerate(items, 1))

    blocks: list[Block] = [*render_usage().blocks, {"type": "divider"}]
    blocks.append(_section("*Top causes, last 24 h*\n" + top(stats.last_day)))
    blocks.append(_section("*Top causes, last 7 days*\n" + top(stats.last_week)))
    if stats.fix_rates:
        blocks.append(_section(truncate(
            f"*Fix rates, last {RATE_DAYS} days* (helpful / answered, lowest first)\n"
            + "\n".join(f"`{c}`: {escape(str(rate))}" for c, rate in stats.fix_rates.items()),
            MAX_SECTION)))
    if stats.feedback:
        blocks.append(_section("*Feedback*\n" + "\n".join(
            f"`{c}`: :thumbsup: {f.helpful} · :thumbsdown: {f.not_helpful}"
            for c, f in stats.feedback.items())))
    blocks.append({"type": "divider"})
    blocks += _known_classes(entries)
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _known_classes(entries: Sequence[Entry]) -> list[Block]:
    lines = [f"• {escape(e.title)} (`{e.id}`)" for e in entries]
    sections: list[Block] = []
    chunk = [f"*Causes I know ({len(entries)})*"]
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > MAX_SECTION:
            sections.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    sections.append(_section("\n".join(chunk)))
    return sections
