"""The server-side registry probe: confirm or refute a pasted error's cause, safely.

Read-only OCI distribution requests (``GET /v2/``, ``HEAD`` manifest, ``tags/list?n=1``) to
hosts the operator listed (or well-known public registries), at addresses the SSRF policy
checked, with the operator's pull credential only where the configuration allows it.
"""

from bot.probe.cache import ProbeCache
from bot.probe.config import ConfigError, ProbeConfig, load_registries
from bot.probe.probe import ProbeResult, Requester, probe_image, to_json

__all__ = [
    "ConfigError",
    "ProbeCache",
    "ProbeConfig",
    "ProbeResult",
    "Requester",
    "load_registries",
    "probe_image",
    "to_json",
]
