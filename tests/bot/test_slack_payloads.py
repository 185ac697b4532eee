"""The text to diagnose from a whole Slack message: text, attachments and blocks."""

from __future__ import annotations

from bot.slack.payloads import message_text


def test_text_attachments_and_blocks_are_read_each_once() -> None:
    message = {
        "text": "deploy failed",
        "attachments": [
            {"pretext": "deploy failed", "text": "denied: requested access is denied",
             "fields": [{"title": "Image", "value": "ghcr.io/acme/app:1.2"}],
             "fallback": "summary only"},
            {"fallback": "manifest unknown"},
        ],
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Release"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*env* prod"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "run 812"},
                                             {"type": "image", "image_url": "x"}]},
            {"type": "rich_text", "elements": [
                {"type": "rich_text_section", "elements": [
                    {"type": "text", "text": "see "}, {"type": "link", "url": "https://ci"}]},
                {"type": "rich_text_list", "elements": [
                    {"type": "rich_text_section", "elements": [
                        {"type": "text", "text": "toomanyrequests"}]}]},
            ]},
            {"type": "divider"},
        ],
    }
    assert message_text(message).splitlines() == [
        "deploy failed", "Release", "*env* prod", "run 812", "see https://ci",
        "toomanyrequests", "denied: requested access is denied", "Image",
        "ghcr.io/acme/app:1.2", "manifest unknown",
    ]


def test_unexpected_shapes_are_skipped() -> None:
    assert message_text({"text": None, "attachments": "x", "blocks": [1, {"type": "section",
                                                                          "text": "raw"}]}) == ""
