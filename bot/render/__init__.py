"""Turning a Diagnosis into something to show: Slack Block Kit, terminal text, JSON data."""
