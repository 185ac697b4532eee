"""The runtime of registry-why: settings, Slack app, store, probe, rendering, CLI and server."""
