"""Registries-file text for the test registries and stand-ins, as the probe tests write it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.registry import Registries

FAST_LIMITS = """
[probe]
connect_timeout = 1.0
tls_timeout = 1.0
read_timeout = 1.0
total_timeout = 5.0
"""
"""Tight time bounds, so a test that waits on a silent peer ends within a second or two."""


def loopback_entry(host: str, *, scheme: str | None = "http", extra: str = "") -> str:
    """A ``[[registry]]`` table for ``host`` on loopback (``allow_private``) with ``extra``
    lines; ``scheme=None`` leaves the scheme to its default, https."""
    scheme_line = f'scheme = "{scheme}"\n' if scheme else ""
    return f'[[registry]]\nhost = "{host}"\n{scheme_line}allow_private = true\n{extra}'


def token_entry(
    regs: Registries, *, password_env: str, scopes: str = '["demo/*"]', channel: str = ""
) -> str:
    """A ``[[registry]]`` table for the token registry with its pull account (the password in
    ``password_env``) asking for ``scopes``, its realm the test token server; the credential is
    used only in ``channel`` when one is named."""
    token = regs.token
    entry = loopback_entry(
        token.host,
        scheme=None,
        extra=f'ca_file = "{token.ca_file}"\n'
        f'username = "{token.username}"\n'
        f'password_env = "{password_env}"\n'
        f"probe_scopes = {scopes}\n"
        f'realm_hosts = ["127.0.0.1:{regs.token_server.port}"]\n',
    )
    return entry + (f'allowed_channels = ["{channel}"]\n' if channel else "")
