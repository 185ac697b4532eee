"""Bearer token exchange (distribution token auth), with the realm held to the registry's list.

A registry's challenge names the token endpoint (the realm). The registry is untrusted input,
so the realm is checked before anything is sent: it must be the registry's own endpoint or one
of its configured ``realm_hosts``; a credential goes only over HTTPS; no redirects are followed.
A realm outside the list is not contacted at all, not even anonymously.

Token servers answer 200 with whatever access the client may have (possibly none): a token
says nothing about access. Access is decided by the registry on the next request.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import httpx

from bot.probe.challenge import Challenge
from bot.probe.outcome import read_json, registry_error
from bot.probe.policy import DnsFailure, ProbeRefused
from bot.probe.profiles import Credential, HostPort, RegistryProfile
from bot.probe.states import DNS, RATE_LIMITED, SERVER_ERROR, TokenState
from bot.probe.transport import Reply, TransportFailure, fetch

CLIENT_ID = "registry-why"
MIN_LIFETIME = 60
"""Seconds a token lives when the server does not say (the spec's default)."""
_TOKEN = re.compile(r"[\x21-\x7e]+")
"""What a token may be to go in an Authorization header: printable ASCII without spaces."""


@dataclass(frozen=True)
class TokenResult:
    """A token, or why there is none. ``detail`` is for evidence (no secrets in it)."""

    state: TokenState
    detail: str
    token: str | None = None
    outcome: str | None = None
    """For a failure on the way to the token server: its error class."""

    @property
    def ok(self) -> bool:
        """Whether a token was issued."""
        return self.state == "issued" and self.token is not None


def basic_header(credential: Credential) -> str:
    """``Basic base64(user:password)``."""
    raw = f"{credential.username}:{credential.password()}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def authorization(credential: Credential) -> str:
    """The ``Authorization`` value a package registry takes for ``credential``: Basic, or
    Bearer with the token alone (npm)."""
    if credential.scheme == "bearer":
        return "Bearer " + credential.password()
    return basic_header(credential)


def check_realm(
    challenge: Challenge, profile: RegistryProfile, *, with_credential: bool
) -> httpx.URL | str:
    """The realm URL if the probe may call it, else a sentence saying why not."""
    if not challenge.realm:
        return "the Bearer challenge names no token realm"
    try:
        url = httpx.URL(challenge.realm)
    except httpx.InvalidURL:
        return "the token realm is not a valid URL"
    if url.scheme not in ("https", "http") or not url.host:
        return "the token realm is not an http(s) URL"
    if url.userinfo:
        return "the token realm carries a user name or password"
    where = HostPort(url.host.lower(), url.port or (443 if url.scheme == "https" else 80))
    if not profile.realm_allowed(where):
        return (
            f"the registry sends clients to token host {url.host}, which is not one of its "
            "listed realm_hosts; the probe did not contact it"
        )
    if url.scheme == "http":
        if with_credential:
            return "the token realm is plain HTTP; the credential is only ever sent over HTTPS"
        if profile.scheme == "https":
            return "the token realm is plain HTTP while the registry uses HTTPS"
    return url


def _parse(reply_body: bytes) -> tuple[str | None, int]:
    data = read_json(reply_body)
    if not isinstance(data, dict):
        return None, MIN_LIFETIME
    token = data.get("token") or data.get("access_token")
    expires = data.get("expires_in")
    lifetime = expires if isinstance(expires, int) and expires >= MIN_LIFETIME else MIN_LIFETIME
    return (token if isinstance(token, str) and token else None), lifetime


async def request_token(
    client: httpx.AsyncClient,
    challenge: Challenge,
    *,
    repository: str,
    profile: RegistryProfile,
    credential: Credential | None,
    cap: int,
) -> TokenResult:
    """Ask the challenge's realm for a ``repository:<name>:pull`` token.

    Anonymous without ``credential``; with it, HTTP Basic on a GET, or the OAuth2 POST when the
    registry is configured for it (falling back to GET when the server has no POST endpoint).
    """
    checked = check_realm(challenge, profile, with_credential=credential is not None)
    if isinstance(checked, str):
        return TokenResult("refused", checked)
    scope = f"repository:{repository}:pull"
    who = "the operator's credential" if credential else "an anonymous client"
    try:
        if credential is not None and profile.oauth2 != "off":
            reply = await _post_oauth2(client, checked, challenge, scope, credential, profile, cap)
            if reply is not None:
                return _read(reply, checked, who)
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("scope", scope),
            ("client_id", CLIENT_ID),
        ]
        if challenge.service:
            params.insert(0, ("service", challenge.service))
        headers: dict[str, str] = {}
        if credential is not None:
            params.append(("account", credential.username))
            headers["Authorization"] = basic_header(credential)
        # Merged into the realm's own query (a tenant, say): passed as params, httpx would
        # replace that query instead.
        url = checked.copy_merge_params(httpx.QueryParams(params))
        reply = await fetch(client, "GET", str(url), cap=cap, headers=headers)
    except ProbeRefused as refused:
        return TokenResult("refused", f"token host {checked.host}: {refused.reason}")
    except DnsFailure as failure:
        return TokenResult("failed", f"token host {failure.host}: {failure.detail}", outcome=DNS)
    except TransportFailure as failure:
        return TokenResult(
            "failed", f"token host {checked.host}: {failure.detail}", outcome=failure.outcome
        )
    return _read(reply, checked, who)


async def _post_oauth2(
    client: httpx.AsyncClient,
    url: httpx.URL,
    challenge: Challenge,
    scope: str,
    credential: Credential,
    profile: RegistryProfile,
    cap: int,
) -> Reply | None:
    form = {"client_id": CLIENT_ID, "scope": scope, "service": challenge.service or ""}
    if profile.oauth2 == "refresh_token":
        form |= {"grant_type": "refresh_token", "refresh_token": credential.password()}
    else:
        form |= {
            "grant_type": "password",
            "username": credential.username,
            "password": credential.password(),
        }
    reply = await fetch(client, "POST", str(url), cap=cap, data=form)
    # "Not all token servers implement oauth2": a 404 or 405 means ask with GET instead.
    return None if reply.status in (404, 405) else reply


def _read(reply: Reply, url: httpx.URL, who: str) -> TokenResult:
    message = registry_error(reply)
    said = f" ({message})" if message else ""
    status = reply.status
    if status == 200:
        if reply.truncated:
            return TokenResult("failed", f"token host {url.host}: the answer is over the size cap")
        token, lifetime = _parse(reply.body)
        if token is None:
            return TokenResult("failed", f"token host {url.host}: 200 without a readable token")
        if not _TOKEN.fullmatch(token):
            return TokenResult(
                "failed", f"token host {url.host}: 200 with a token that is not printable ASCII"
            )
        return TokenResult(
            "issued",
            f"token host {url.host} issued a token to {who} (valid {lifetime} s)",
            token,
        )
    if status == 401:
        return TokenResult("rejected", f"token host {url.host} refused {who}: 401{said}")
    if status == 403:
        return TokenResult("denied", f"token host {url.host} denied {who}: 403{said}")
    if status == 429:
        return TokenResult(
            "throttled", f"token host {url.host}: 429 Too Many Requests", outcome=RATE_LIMITED
        )
    if status >= 500:
        return TokenResult(
            "server-failing", f"token host {url.host}: {status}{said}", outcome=SERVER_ERROR
        )
    if 300 <= status < 400:
        return TokenResult("failed", f"token host {url.host} redirects ({status}); not followed")
    return TokenResult("failed", f"token host {url.host} answered {status}{said}")
