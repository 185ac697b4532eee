"""Everything that speaks Slack: the Bolt app and its server (HTTP and Socket Mode), runs in
progress, outbound delivery, payload parsing and the interaction ids.

Listeners themselves live in the top-level ``handlers`` package; ``bot.slack.app`` registers
them, and is the only module here that imports ``handlers``.
"""
