"""Block Kit rendering: Slack's own validators pass, limits hold, pasted text never pings."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.render.blocks import (
    MAX_BLOCKS,
    MAX_SECTION,
    escape,
    render_diagnosis,
    render_full_guide,
    render_home,
    render_image,
    render_repeat_counter,
    render_usage,
    truncate,
)
from bot.render.button_state import MAX_VALUE, ButtonStateError, pack, unpack
from bot.slack.ids import ACTION_FULL_GUIDE, ACTION_PROBE, ACTION_SHARE
from bot.stats import Feedback, FixRate, HomeStats
from knowledge.diagnosis import Diagnosis, diagnose
from knowledge.loader import knowledge_base
from knowledge.reference import parse_reference
from tests.support.block_kit import validated
from tests.support.pastes import (
    CHAT,
    DOCKER_HUB_RATE_LIMIT,
    ECR_IMAGE,
    ECR_NO_CREDENTIALS,
    ECR_PULL_SESSION,
    GITHUB_TOKEN,
    WITH_SECRET,
    captured_package_output,
)


def texts(blocks: list[dict[str, Any]]) -> str:
    """Everything Slack would display (button values are not shown, nor parsed as mrkdwn)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                elif key != "value":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_escape_only_the_three_characters() -> None:
    assert escape("a & b <!channel> <@U1> *bold* `x`") == (
        "a &amp; b &lt;!channel&gt; &lt;@U1&gt; *bold* `x`")


def test_reply_has_cause_evidence_steps_and_buttons() -> None:
    diagnosis = diagnose(ECR_PULL_SESSION)
    message = render_diagnosis(diagnosis)
    blocks = validated(message.blocks)
    assert blocks[0]["type"] == "header"
    assert diagnosis.title
    assert diagnosis.title in blocks[0]["text"]["text"]
    body = texts(blocks)
    assert "no basic auth credentials" in body  # the evidence line
    assert "*Confirm:*" in body
    assert "*Fix on Amazon ECR:*" in body  # the registry's own fix comes first
    assert "*Verify:*" in body
    assert "Don't" in body
    assert f"docker pull {ECR_IMAGE}" in body  # commands filled with the user's image
    assert "aws ecr get-login-password --region us-east-1" in body  # and its region
    assert "kubectl" not in body  # not a Kubernetes paste: no Kubernetes steps
    assert "Why it happens" not in body  # the full guide is one click away, not here
    assert set(buttons(blocks)) == {ACTION_FULL_GUIDE, "feedback_helpful",
                                    "feedback_not_helpful"}
    assert diagnosis.meaning
    assert escape(diagnosis.meaning) in message.text


def test_share_and_probe_buttons_only_when_asked() -> None:
    diagnosis = diagnose(ECR_PULL_SESSION)
    offered = buttons(render_diagnosis(diagnosis, shareable=True, probe=True).blocks)
    assert ACTION_SHARE in offered
    assert unpack(offered[ACTION_PROBE]["value"]).context.image == parse_reference(ECR_IMAGE)
    without_image = diagnose(DOCKER_HUB_RATE_LIMIT)
    assert ACTION_PROBE not in buttons(render_diagnosis(without_image, probe=True).blocks)


def test_pasted_mentions_are_escaped_everywhere() -> None:
    # What Slack delivers when someone types these characters (not a real mention).
    paste = ECR_NO_CREDENTIALS + " &lt;!channel&gt; &lt;@U0BOSS&gt; &lt;!here|here&gt; &amp; co"
    diagnosis = diagnose(paste)
    assert diagnosis.evidence
    assert "<!channel> <@U0BOSS>" in diagnosis.evidence
    message = render_diagnosis(diagnosis)
    raw = message.text + texts(message.blocks)
    for ping in ("<!channel>", "<@U0BOSS>", "<!here"):
        assert ping not in raw
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt;" in raw  # shown, as text
    assert "&amp; co" in raw


def test_masked_secret_is_announced_and_never_shown() -> None:
    message = render_diagnosis(diagnose(WITH_SECRET))
    raw = message.text + texts(message.blocks)
    assert GITHUB_TOKEN not in raw
    assert "GitHub token" in raw
    assert "rotate" in raw
    assert "GitHub token" in message.text  # in the notification text too


def test_long_evidence_is_cut_to_the_section_limit() -> None:
    long_line = ECR_NO_CREDENTIALS + " " + "<x> & " * 2000
    diagnosis = dataclasses.replace(diagnose(ECR_NO_CREDENTIALS), evidence=long_line)
    blocks = validated(render_diagnosis(diagnosis).blocks)
    start = escape(ECR_NO_CREDENTIALS[:30])
    evidence = next(b for b in blocks if start in b.get("text", {}).get("text", ""))
    text = evidence["text"]["text"]
    assert len(text) <= MAX_SECTION
    assert text.startswith("```")
    assert text.endswith("```")
    assert " … " in text  # cut in the middle: the start and the end of the line stay


def test_truncate_never_splits_an_escape() -> None:
    text = escape("<" * 100)
    cut = truncate(text, 52)
    assert len(cut) <= 52
    assert cut.removesuffix("…").endswith("&lt;")


def test_block_count_stays_within_the_limit() -> None:
    diagnosis = diagnose(ECR_PULL_SESSION)
    assert diagnosis.guide is not None
    many = tuple(diagnosis.guide.fix * 40)
    swollen = dataclasses.replace(diagnosis,
                                  guide=dataclasses.replace(diagnosis.guide, fix=many))
    blocks = validated(render_diagnosis(swollen).blocks)
    assert len(blocks) <= MAX_BLOCKS
    assert blocks[-1]["type"] == "actions"


def test_not_sure_answer() -> None:
    message = render_diagnosis(diagnose(CHAT))
    validated(message.blocks)
    assert "Not sure" in message.text
    assert not buttons(message.blocks)


def test_usage_image_and_counter_cards_validate() -> None:
    validated(render_usage().blocks)
    assert "/registry-why status`* shows open registry incidents" in texts(render_usage().blocks)
    image = parse_reference("ghcr.io/acme/billing:1.2")
    card = render_image(image, "ghcr", probe=True)
    validated(card.blocks)
    assert "GitHub Container Registry" in texts(card.blocks)
    assert "skopeo inspect --raw docker://ghcr.io/acme/billing:1.2" in texts(card.blocks)
    assert buttons(card.blocks)[ACTION_PROBE]["value"] == "ghcr.io/acme/billing:1.2"
    assert ACTION_PROBE not in buttons(render_image(image, "ghcr", probe=False).blocks)
    counter = render_repeat_counter("C0INCIDENT", "rate-limited", "Rate limited", 7, 1800)
    validated(counter.blocks)
    assert "seen 7 times in <#C0INCIDENT> in the last 30 min" in counter.blocks[0]["text"]["text"]


def test_full_guide_has_the_rest_of_the_entry() -> None:
    diagnosis = diagnose(ECR_PULL_SESSION)
    message = render_full_guide(diagnosis)
    body = texts(validated(message.blocks))
    entry = knowledge_base()["no-basic-auth-credentials"]
    for heading in ("Confirm", "Check the cause", "Apply the safe fix", "Verify",
                    "Why it happens", "References"):
        assert heading in body
    assert str(entry.references[0]) in body
    assert "&lt;registry-name&gt;" not in body  # only this registry's (ECR) note is shown
    assert "<" not in body.replace("<https://", "")  # placeholders escaped, not read as links
    with pytest.raises(ValueError, match="named diagnosis"):
        render_full_guide(diagnose(CHAT))


def test_home_view_validates_and_shows_stats() -> None:
    entries = list(knowledge_base())
    stats = HomeStats(last_day=(("rate-limited", 3),), last_week=(("rate-limited", 9),),
                      feedback={"rate-limited": Feedback(2, 1)},
                      fix_rates={"rate-limited": FixRate(asked=8, helpful=2, not_helpful=1)})
    view = render_home(entries, stats)
    View(**view).validate_json()
    body = texts(view["blocks"])
    assert "rate-limited" in body
    assert "(`rate-limited`): 9" in body
    assert ":thumbsup: 2 · :thumbsdown: 1" in body
    assert "`rate-limited`: fixed 25% (2 helpful, 1 not, 8 answered in 30 d)" in body
    assert all(e.id in body for e in entries)


def test_button_state_round_trip() -> None:
    original = diagnose(WITH_SECRET.replace(ECR_NO_CREDENTIALS, ECR_PULL_SESSION))
    value = pack(original)
    assert len(value) <= MAX_VALUE
    assert GITHUB_TOKEN not in value
    restored = unpack(value)
    assert (restored.class_id, restored.context.image, restored.context.registry) == (
        original.class_id, original.context.image, original.context.registry)
    assert restored.guide == original.guide
    assert restored.redactions == original.redactions
    assert restored.evidence == original.evidence


def test_button_state_keeps_what_chose_and_filled_the_steps() -> None:
    kubelet = diagnose(
        'Warning  Failed  kubelet  Failed to pull image "ghcr.io/acme/api:1.2": rpc error: '
        'code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/api:1.2": failed '
        'to resolve reference "ghcr.io/acme/api:1.2": failed to do request: Head '
        '"https://ghcr.io/v2/acme/api/manifests/1.2": proxyconnect tcp: dial tcp '
        '10.0.0.8:3128: connect: connection refused')
    assert kubelet.context.environments == ("kubernetes",)
    assert kubelet.context.proxy == "10.0.0.8:3128"
    restored = unpack(pack(kubelet))
    assert restored.context == kubelet.context
    assert restored.guide == kubelet.guide  # the full guide behind the button is the same
    upload = diagnose("Error: writing blob: initiating layer upload to /v2/team/app/blobs/uploads/"
                      " in ghcr.io: denied: permission_denied: write_package")
    assert upload.context.repository == "team/app"
    assert unpack(pack(upload)).context == upload.context


def test_button_state_keeps_within_slack_limit() -> None:
    diagnosis: Diagnosis = dataclasses.replace(diagnose(ECR_NO_CREDENTIALS),
                                               evidence="\u0001" * 5000)
    value = pack(diagnosis)
    assert len(value) <= MAX_VALUE
    assert unpack(value).class_id == diagnosis.class_id


@pytest.mark.parametrize("value", ["", "{}", '{"c": "no-such-class", "p": 0.9}', "not json"])
def test_bad_button_state_is_refused(value: str) -> None:
    with pytest.raises(ButtonStateError):
        unpack(value)


# -- package diagnoses ---------------------------------------------------------------------------

PNPM_MISSING = captured_package_output("pnpm", "pnpm_missing_package_add")
"""``no-such-lib`` at ``https://127.0.0.1:56003/``: a package paste the probe can ask about."""


def test_a_package_reply_offers_the_probe_and_its_state_round_trips() -> None:
    original = diagnose(PNPM_MISSING)
    assert (original.context.ecosystem, original.context.package) == ("npm", "no-such-lib")
    offered = buttons(validated(render_diagnosis(original, probe=True).blocks))
    value = offered[ACTION_PROBE]["value"]
    assert value == offered[ACTION_FULL_GUIDE]["value"]
    restored = unpack(value)
    assert restored.context == original.context
    assert restored.context.registry_url == "https://127.0.0.1:56003/"
    assert restored.guide == original.guide  # the guide's npm steps, not a container's


def test_the_ecosystem_is_carried_even_where_nothing_can_be_probed() -> None:
    # A hand-made context: a cargo package (no cargo registry can be probed) on a package paste.
    pnpm = diagnose(PNPM_MISSING)
    cargo = dataclasses.replace(pnpm, context=dataclasses.replace(
        pnpm.context, ecosystem="cargo", package="serde", package_version="1.0.200",
        registry_url="https://cargo.acme.example/index/", config_file=".cargo/config.toml"))
    assert ACTION_PROBE not in buttons(render_diagnosis(cargo, probe=True).blocks)
    assert unpack(pack(cargo)).context == cargo.context


def test_a_registry_url_is_carried_without_its_user_and_password() -> None:
    pip = diagnose(captured_package_output("pip", "pip_wrong_password_install"))
    assert pip.context.registry_url == "http://alice:****@127.0.0.1:46571/simple/"
    value = pack(pip)
    assert "alice" not in value
    assert "****" not in value
    restored = unpack(value).context
    assert restored.registry_url == "http://127.0.0.1:46571/simple/"
    assert (restored.package, restored.package_version) == ("demo-lib", "1.0.0")


NPM_TOKEN = "npm_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


@pytest.mark.parametrize("change", [
    pytest.param({"registry_url": "https://npm.acme.example/[REDACTED token]/"},
                 id="a masked credential in the URL's path"),
    pytest.param({"registry_url": f"https://npm.acme.example/{NPM_TOKEN}/"},
                 id="a credential in the URL's path"),
    pytest.param({"registry_url": "https://npm.acme.example/" + "a" * 500},
                 id="a URL too long to carry"),
    pytest.param({"package": NPM_TOKEN}, id="a credential for a package"),
    pytest.param({"package": "a" * 300}, id="a package name too long to carry"),
])
def test_a_package_a_button_cannot_carry_is_left_out_and_not_offered(
    change: dict[str, Any]
) -> None:
    # Hand-made contexts: extraction masks first, these check the button's own guard.
    pnpm = diagnose(PNPM_MISSING)
    odd = dataclasses.replace(pnpm, context=dataclasses.replace(pnpm.context, **change))
    message = render_diagnosis(odd, probe=True)
    assert ACTION_PROBE not in buttons(message.blocks)
    value = buttons(message.blocks)[ACTION_FULL_GUIDE]["value"]
    assert NPM_TOKEN not in value
    restored = unpack(value).context
    # The package goes with an uncarried URL: no button may probe another registry.
    assert (restored.package, restored.package_version, restored.registry_url) == (
        None, None, None)
    assert restored.ecosystem == "npm"


@pytest.mark.parametrize("field", [
    pytest.param({"pk": NPM_TOKEN}, id="a credential as the package"),
    pytest.param({"pk": "no-such-lib", "pv": f"1.0.0-{NPM_TOKEN}"}, id="in the version"),
    pytest.param({"pk": "x", "ru": "https://bob:hunter2@npm.acme.example/"},
                 id="a password in the URL"),
    pytest.param({"pk": "x", "ru": "https://npm.acme.example/?token=abc"}, id="a query"),
    pytest.param({"pk": "x", "ru": "https://npm.acme.example/[REDACTED token]/"},
                 id="a masked credential"),
    pytest.param({"pk": "x", "ru": "file:///etc/passwd"}, id="not a web URL"),
    pytest.param({"pk": "a" * 256}, id="a package too long"),
    pytest.param({"pk": "x", "eco": "docker"}, id="an ecosystem there is not"),
])
def test_a_forged_package_state_is_refused(field: dict[str, str]) -> None:
    value = pack(diagnose(PNPM_MISSING))
    state = {**json.loads(value), **field}
    with pytest.raises(ButtonStateError) as refused:
        unpack(json.dumps(state))
    assert NPM_TOKEN not in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_package_state_keeps_within_slack_limit() -> None:
    long_evidence = dataclasses.replace(diagnose(PNPM_MISSING), evidence="\u0001" * 5000)
    value = pack(long_evidence)
    assert len(value) <= MAX_VALUE
    restored = unpack(value)
    assert restored.context == long_evidence.context  # the evidence gave way, not the package
