"""The server-side registry probe: confirm or refute a pasted error's cause, safely.

Read-only OCI distribution requests (``GET /v2/``, ``HEAD`` manifest, ``tags/list?n=1``) to
hosts the operator listed (or well-known public registries), at addresses the SSRF policy
checked, with the operator's pull credential only where the configuration allows it; and, for
the package registries the operator listed (npm, PyPI, Maven, NuGet), the metadata request a
client makes first (:func:`probe_package`).
"""

from bot.probe.cache import ProbeCache
from bot.probe.packages import PackageProbeResult, package_to_json, pick_registry, probe_package
from bot.probe.profiles import ConfigError, ProbeConfig
from bot.probe.registries_file import load_registries, parse_registries
from bot.probe.run import ProbeResult, Requester, choose_tier, probe_image, to_json

__all__ = [
    "ConfigError",
    "PackageProbeResult",
    "ProbeCache",
    "ProbeConfig",
    "ProbeResult",
    "Requester",
    "choose_tier",
    "load_registries",
    "package_to_json",
    "parse_registries",
    "pick_registry",
    "probe_image",
    "probe_package",
    "to_json",
]
