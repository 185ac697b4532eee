"""The container health check: ``python -m bot.healthcheck`` exits 0 when ``/healthz`` answers.

Docker's ``HEALTHCHECK`` runs it inside the container (slim images have no curl). It finds the
port the way the server does (``PORT``, ``REGISTRY_WHY_HOST``) and asks over loopback, without
any proxy. Exit status: 0 healthy, 1 not answering (or settings the server could not use).
"""

from __future__ import annotations

import sys
import urllib.request
from urllib.error import URLError

from bot.settings import Settings, SettingsError, load_settings

TIMEOUT = 3.0
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})


def health_url(settings: Settings) -> str:
    """Where this container's ``/healthz`` answers."""
    host = "127.0.0.1" if settings.host in _ANY_ADDRESS else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/healthz"


def check(url: str, timeout: float = TIMEOUT) -> str | None:
    """None when ``url`` answers 200, else what went wrong."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            status = int(response.status)
    except (URLError, OSError) as exc:
        return f"{url}: {exc}"
    return None if status == 200 else f"{url} answered {status}"


def main() -> int:
    """Check once; print the problem (never a setting's value) and return the exit status."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    problem = check(health_url(settings))
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
