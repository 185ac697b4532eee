"""Incident messages: the card, the note on replies, the resolution reply, the status board.

Everything shown is a derived fact (host, class ids, counts, channel ids, image references,
times); hosts and images come from pastes, so they are escaped like any pasted text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bot.incidents.model import Board, IncidentView, Note, RegistryRow
from bot.render.blocks import Block, Message, escape, truncate
from knowledge import knowledge_base

MAX_CAUSES = 3
MAX_CHANNELS = 20
MAX_BOARD_INCIDENTS = 10
MAX_BOARD_REGISTRIES = 15
SECTION = 3000


def clock_time(at: float) -> str:
    """``09:02 UTC``: when, for people in any time zone reading one card."""
    return time.strftime("%H:%M UTC", time.gmtime(at))


def duration(seconds: float) -> str:
    """``42 min``, ``1 h 05 min``, ``35 s``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _title(class_id: str) -> str:
    kb = knowledge_base()
    return kb[class_id].title if class_id in kb else class_id


_PLURALS = {"person": "people", "registry": "registries"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word if count == 1 else _PLURALS.get(word, word + 's')}"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION)}]}


def _channels(channels: Sequence[str]) -> str:
    shown = " ".join(f"<#{c}>" for c in channels[:MAX_CHANNELS])
    more = len(channels) - MAX_CHANNELS
    return shown + (f" and {more} more" if more > 0 else "")


def _probe_line(view: IncidentView | RegistryRow, now: float) -> str | None:
    if view.probe_outcome is None or view.probe_at is None:
        return None
    outcome = "answers (ok)" if view.probe_outcome == "ok" else f"`{view.probe_outcome}`"
    return f"Last probe: {outcome}, {duration(now - view.probe_at)} ago"


def render_card(view: IncidentView, now: float) -> Message:
    """The incident card: posted once in the incident channel, then edited in place."""
    host = escape(view.host)
    if view.resolved_at is not None:
        how = "a probe got an answer" if view.resolved_by_probe else "no reports for a window"
        head = (f":white_check_mark: *Resolved: {host}* after "
                f"{duration(view.resolved_at - view.opened)} ({how}, "
                f"{clock_time(view.resolved_at)})")
    else:
        head = f":rotating_light: *Incident open: {host}* since {clock_time(view.opened)}"
    causes = "\n".join(f"• {escape(_title(c))} (`{c}`): {n}"
                       for c, n in view.causes[:MAX_CAUSES])
    facts = (f"*{_plural(view.reports, 'report')}* from {_plural(view.users, 'person')} in "
             f"{_plural(len(view.channels), 'channel')}: {_channels(view.channels)}\n"
             f"First report {clock_time(view.first)}, last {clock_time(view.last)}")
    blocks: list[Block] = [_section(head), _section(f"*Causes*\n{causes}"), _section(facts)]
    if view.images:
        blocks.append(_section("*Images*\n" + "\n".join(f"• `{escape(i)}`"
                                                           for i in view.images[:5])))
    if (line := _probe_line(view, now)) is not None:
        blocks.append(_context(line))
    state = "resolved" if view.resolved_at is not None else "open"
    text = (f"Incident {state} on {view.host}: {_plural(view.reports, 'report')} in "
            f"{_plural(len(view.channels), 'channel')}")
    return Message(text=text, blocks=blocks)


def note_text(note: Note) -> str:
    """The first line of a reply to a report that belongs to an open incident."""
    text = (f"Part of an open incident on {escape(note.host)}: "
            f"{_plural(note.reports, 'report')} in {_plural(note.channels, 'channel')} "
            f"since {clock_time(note.first)}")
    return f"{text} (<{note.permalink}|incident card>)" if note.permalink else text


def with_note(message: Message, note: Note | None) -> Message:
    """``message`` with the incident note as its first block (and first line of its text)."""
    if note is None:
        return message
    line = note_text(note)
    return Message(text=f"{line}\n{message.text}",
                   blocks=[_context(f":rotating_light: {line}"), *message.blocks][:50])


def render_resolution(view: IncidentView) -> Message:
    """The one reply each affected thread gets when the incident ends."""
    at = view.resolved_at if view.resolved_at is not None else view.last
    if view.resolved_by_probe:
        text = f"Resolved: {escape(view.host)} answers again (probe at {clock_time(at)})"
    else:
        text = (f"Resolved: no new reports about {escape(view.host)} since "
                f"{clock_time(view.last)}; try again, and ask me if it still fails")
    return Message(text=text, blocks=[_section(f":white_check_mark: {text}")])


def board_blocks(board: Board) -> list[Block]:
    """The status board's blocks (the slash command's answer and a part of App Home)."""
    blocks: list[Block] = [_section("*Registry incidents*")]
    if not board.incidents:
        blocks.append(_section("No open incidents."))
    for view in board.incidents[:MAX_BOARD_INCIDENTS]:
        top = ", ".join(f"`{c}` {n}" for c, n in view.causes[:MAX_CAUSES])
        link = f" (<{view.permalink}|card>)" if view.permalink else ""
        line = (f":rotating_light: *{escape(view.host)}*{link}: "
                f"{_plural(view.reports, 'report')}, {_plural(view.users, 'person')}, "
                f"{_plural(len(view.channels), 'channel')} since {clock_time(view.first)}; "
                f"{top}")
        probe = _probe_line(view, board.now)
        blocks.append(_section(line + (f"\n{probe}" if probe else "")))
    rows = board.registries[:MAX_BOARD_REGISTRIES]
    if rows:
        lines = []
        for row in rows:
            probe = _probe_line(row, board.now) or "not probed"
            lines.append(f"• *{escape(row.host)}*: {_plural(row.reports, 'report')}, "
                         f"mostly `{row.top_cause}`; {probe}")
        blocks.append(_section("*Registries reported in the last hour*\n" + "\n".join(lines)))
    else:
        blocks.append(_context("No registry errors reported in the last hour."))
    return blocks


def render_board(board: Board) -> Message:
    """``/registry-why status``: the board, for the asker alone."""
    text = (f"{_plural(len(board.incidents), 'open incident')}; "
            f"{_plural(len(board.registries), 'registry')} reported in the last hour")
    return Message(text=text, blocks=board_blocks(board))
