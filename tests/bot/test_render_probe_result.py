"""Probe results as Block Kit: valid for Slack, escaped, within limits, placed above the buttons."""

from __future__ import annotations

from typing import Any

from bot.probe import ProbeResult
from bot.probe_requests import ProbeTarget
from bot.render.blocks import MAX_BLOCKS, MAX_SECTION, render_diagnosis
from bot.render.probe_result import (
    probe_text,
    render_probe,
    render_probe_message,
    render_probing,
    render_reply,
    with_probe,
)
from bot.slack.ids import ACTION_PROBE, ACTIONS_BLOCK, PROBE_BLOCK
from knowledge.diagnosis import diagnose
from knowledge.loader import knowledge_base
from knowledge.reference import parse_reference
from tests.support.block_kit import validated
from tests.support.pastes import ECR_PULL_SESSION

IMAGE = "registry.example.com:5000/demo/hello:nope"


def result(**changes: Any) -> ProbeResult:
    """A probe result as the probe returns one (a missing tag, judged against a paste)."""
    values: dict[str, Any] = {
        "image": IMAGE, "host": "registry.example.com:5000", "outcome": "manifest-unknown",
        "verdict": "confirmed",
        "verdict_reason": "the repository exists and this tag does not",
        "evidence": ("HEAD /v2/demo/hello/manifests/nope: 404 MANIFEST_UNKNOWN",),
        "elapsed_ms": 12, "tier": "anonymous", "suspected": "manifest-unknown",
    }
    values.update(changes)
    return ProbeResult(**values)


def shown(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(
        str(node["text"]["text"] if "text" in node else
            "\n".join(e["text"] for e in node.get("elements", []) if "text" in e))
        for node in blocks if node["type"] in ("section", "context"))


def test_each_verdict_reads_plainly() -> None:
    confirmed = shown(validated(render_probe(result())))
    assert "*Confirmed:*" in confirmed
    assert f"*{knowledge_base()['manifest-unknown'].title}* (`manifest-unknown`)" in confirmed
    assert "the repository exists and this tag does not" in confirmed
    assert "404 MANIFEST_UNKNOWN" in confirmed
    refuted = shown(validated(render_probe(result(
        outcome="ok", verdict="refuted",
        verdict_reason="the image is public and pullable from here"))))
    assert "*Refuted:*" in refuted
    assert "can be pulled from here (`ok`)" in refuted
    inconclusive = shown(validated(render_probe(result(
        outcome=None, verdict="inconclusive", verdict_reason="the registry timed out"))))
    assert "*Inconclusive:*" in inconclusive
    assert "the registry timed out" in inconclusive


def test_without_a_suspected_class_the_outcome_is_the_answer() -> None:
    text = shown(validated(render_probe(result(verdict=None, verdict_reason=None,
                                               suspected=None, outcome="auth-required"))))
    assert "Confirmed" not in text
    assert "Refuted" not in text
    assert "From here:" in text
    assert "`auth-required`" in text
    assert probe_text(result(verdict=None, suspected=None, outcome="ok")).endswith(": ok")


def test_a_refusal_says_why_and_shows_no_evidence() -> None:
    refusal = result(outcome=None, verdict="inconclusive", refused="169.254.169.254 is not "
                     "a registry this bot may probe (not listed)",
                     evidence=("not probed: 169.254.169.254 is not ...",), elapsed_ms=0)
    blocks = validated(render_probe(refusal))
    text = shown(blocks)
    assert ":no_entry: *Not probed:*" in text
    assert "not listed" in text
    assert not any(b["block_id"] == f"{PROBE_BLOCK}-evidence" for b in blocks)
    assert "not probed" in probe_text(refusal)


def test_credentialed_results_say_they_are_private() -> None:
    text = shown(render_probe(result(tier="credentialed")))
    assert "shown only to you" in text
    assert "shown only to you" not in shown(render_probe(result()))


def test_registry_text_is_escaped_and_cannot_ping() -> None:
    hostile = result(evidence=("denied: <!channel> <@U0BOSS> & ```break out```",),
                     verdict_reason="see <https://evil.example|here>")
    blocks = validated(render_probe(hostile))
    text = shown(blocks)
    assert "<!channel>" not in text
    assert "<@U0BOSS>" not in text
    assert "<https://" not in text
    assert "&lt;!channel&gt;" in text
    assert "&amp;" in text
    evidence = next(b for b in blocks if b["block_id"] == f"{PROBE_BLOCK}-evidence")
    assert evidence["text"]["text"].count("```") == 2  # the registry's ``` cannot close it


def test_long_evidence_stays_within_a_section() -> None:
    many = tuple(f"line {n}: " + "x" * 190 for n in range(40))
    blocks = validated(render_probe(result(evidence=many)))
    assert all(len(b["text"]["text"]) <= MAX_SECTION for b in blocks if b["type"] == "section")


def test_next_steps_are_offered_as_commands() -> None:
    blocks = validated(render_probe(result(next_steps=("curl -s --head https://x | grep -i "
                                                       "ratelimit",))))
    steps = next(b for b in blocks if b["block_id"] == f"{PROBE_BLOCK}-steps")
    assert "curl -s --head" in steps["text"]["text"]


def test_probe_output_goes_above_the_buttons_and_replaces_the_last_one() -> None:
    reply = render_diagnosis(diagnose(ECR_PULL_SESSION), probe=True).blocks
    probing = with_probe(reply, render_probing(IMAGE))
    assert probing[-1]["block_id"] == ACTIONS_BLOCK
    assert probing[-2]["block_id"] == PROBE_BLOCK
    assert "Probing" in probing[-2]["elements"][0]["text"]
    done = validated(with_probe(probing, render_probe(result())))
    assert sum(1 for b in done if "Probing" in str(b)) == 0
    assert done[: len(reply) - 1] == reply[:-1]
    assert done[-1] == reply[-1]
    assert len(done) == len(reply) + len(render_probe(result()))


def test_a_full_reply_gives_way_in_the_middle_not_at_the_buttons() -> None:
    reply = render_diagnosis(diagnose(ECR_PULL_SESSION), probe=True).blocks
    crowded = [reply[0]] + [{"type": "divider", "block_id": f"d{n}"} for n in range(48)]
    crowded.append(reply[-1])
    assert len(crowded) == MAX_BLOCKS
    probe = render_probe(result())
    merged = with_probe(crowded, probe)
    assert len(merged) == MAX_BLOCKS
    assert merged[0] == reply[0]
    assert merged[-1] == reply[-1]
    assert merged[-1 - len(probe):-1] == probe


def test_a_standalone_result_has_a_fallback_text() -> None:
    message = render_probe_message(result(image="ghcr.io/acme/<app>:1"))
    assert message.text.startswith("Registry probe of ghcr.io/acme/&lt;app&gt;:1")
    assert "manifest-unknown confirmed" in message.text
    validated(message.blocks)


def test_an_ephemeral_reply_is_rebuilt_with_its_probe_button() -> None:
    diagnosis = diagnose(ECR_PULL_SESSION)
    assert diagnosis.context.image is not None
    rebuilt = render_reply(ProbeTarget(diagnosis.context.image, diagnosis.class_id, diagnosis))
    assert rebuilt.blocks == render_diagnosis(diagnosis, shareable=True, probe=True).blocks
    card = render_reply(ProbeTarget(parse_reference("ghcr.io/acme/billing:1.2")))
    assert card.blocks[0]["text"]["text"] == "About ghcr.io/acme/billing:1.2"
    actions = [e for b in card.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in actions] == [ACTION_PROBE]
