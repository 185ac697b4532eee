"""The probe's conversation with one package registry: read-only, bounded, one package.

Per pass (anonymous, then with the operator's credential when the request may use it and the
anonymous pass could not fetch the package):

* npm: ``GET <base>/<name>`` (``@scope%2fname``) accepting the abbreviated metadata;
* PyPI: ``GET <index>/<PEP 503 name>/`` accepting the JSON and the HTML simple API;
* Maven: ``HEAD <base>/<group path>/<artifact>/maven-metadata.xml``, and for a version
  ``HEAD`` of that version's POM;
* NuGet: ``GET`` the v3 service index, then the package's registration index
  (``RegistrationsBaseUrl``, lower-case id).

Addresses are pinned and checked as for images (:mod:`bot.probe.policy`). A redirect is
followed only when it stays on the registry's own scheme, host and port (so the credential
never goes anywhere else); one elsewhere is reported and not followed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from bot.errors import RegistryWhyError
from bot.probe.evidence import sanitize
from bot.probe.observation import Observation, PassResult, Tier
from bot.probe.outcome import describe_location, is_html, read_json
from bot.probe.package_names import PackageTarget, pep503
from bot.probe.policy import Resolver
from bot.probe.profiles import ConfigError, Credential, ProbeOptions, RegistryProfile
from bot.probe.sequence import converse
from bot.probe.states import (
    ACCESS_DENIED,
    AUTH_INVALID,
    AUTH_REQUIRED,
    OK,
    PACKAGE_NOT_FOUND,
    PROXY,
    RATE_LIMITED,
    REGISTRY_MISCONFIGURED,
    SERVER_ERROR,
    PassState,
)
from bot.probe.token import authorization
from bot.probe.transport import Reply, TransportFailure, fetch

METADATA_CAP = 1 << 20
"""Bytes of package metadata read at most: a popular package's npm metadata or simple index
runs to hundreds of KiB, far past the image probe's 64 KiB."""
MAX_REDIRECTS = 3

NPM_ACCEPT = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"
PYPI_JSON = "application/vnd.pypi.simple.v1+json"
PYPI_ACCEPT = f"{PYPI_JSON}, application/vnd.pypi.simple.v1+html; q=0.2, text/html; q=0.01"
_DISTRIBUTION = re.compile(r"\.(?:whl|tar\.gz|zip|tar\.bz2|tgz|egg|exe|msi|rpm)$", re.IGNORECASE)
_NUGET_REGISTRATIONS = (
    "RegistrationsBaseUrl/3.6.0",
    "RegistrationsBaseUrl/3.4.0",
    "RegistrationsBaseUrl/Versioned",
    "RegistrationsBaseUrl/3.0.0-rc",
    "RegistrationsBaseUrl/3.0.0-beta",
    "RegistrationsBaseUrl",
)
"""Registration resources, those listing SemVer 2.0.0 packages first (a SemVer 2 package is
missing from the others, which would read as "not found")."""

STATE_OUTCOME: Mapping[PassState, str | None] = {
    "pullable": OK,
    "refused": AUTH_REQUIRED,
    "denied": ACCESS_DENIED,
    "credential-rejected": AUTH_INVALID,
    "repo-missing": PACKAGE_NOT_FOUND,
    "manifest-missing": PACKAGE_NOT_FOUND,
    "missing": PACKAGE_NOT_FOUND,
    "throttled": RATE_LIMITED,
    "server-failing": SERVER_ERROR,
    "realm-refused": None,
    "token-failed": None,
    "failed": None,
}
"""For packages: ``pullable`` means the package (and version) can be fetched, ``repo-missing``
the package is missing, ``manifest-missing`` the package exists but not the version, and
``missing`` either of those or no access (a withheld credential makes them read alike)."""
_MERGED = frozenset({"refused", "denied", "repo-missing", "manifest-missing"})


@dataclass
class _Lines:
    label: str
    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(sanitize(f"{self.label}: {text}"))


@dataclass
class _Probe:
    client: httpx.AsyncClient
    profile: RegistryProfile
    target: PackageTarget
    tier: Tier
    withheld: bool
    passes: list[_Lines] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"{self.profile.base_url}{self.profile.root}"

    async def run(self, base: Observation) -> Observation:
        return await _run(self, base)

    def seen_so_far(self) -> tuple[str, ...]:
        """The lines of every pass started; none when a withheld credential's pass could tell
        "missing" from "needs access"."""
        return () if self.withheld else tuple(line for p in self.passes for line in p.lines)

    def same_origin(self, url: httpx.URL) -> bool:
        endpoint = self.profile.endpoint
        port = url.port or (443 if url.scheme == "https" else 80)
        return (url.scheme, url.host.lower(), port) == (
            self.profile.scheme, endpoint.host, endpoint.port
        )


class _Stop(RegistryWhyError):
    """The pass ends here, with ``state`` (and ``outcome`` when it is not the state's)."""

    def __init__(self, state: PassState, outcome: str | None = None) -> None:
        super().__init__(state)
        self.state = state
        self.outcome = outcome if outcome is not None or state == "failed" else STATE_OUTCOME[state]


def _misconfigured() -> _Stop:
    return _Stop("failed", REGISTRY_MISCONFIGURED)


async def observe_package(
    profile: RegistryProfile,
    target: PackageTarget,
    *,
    tier: Tier,
    withheld: bool,
    options: ProbeOptions,
    resolver: Resolver,
) -> Observation:
    """Ask ``profile``'s registry about ``target``, as :func:`bot.probe.sequence.observe` does
    for an image. Raises ProbeRefused when the registry's address is blocked (nothing sent)."""
    return await converse(
        profile, lambda client: _Probe(client, profile, target, tier, withheld),
        withheld=withheld, options=options, resolver=resolver,
    )


async def _run(probe: _Probe, base: Observation) -> Observation:
    anonymous = await _pass(probe, "anonymous", None)
    if anonymous.state == "failed" and anonymous.status is None:
        # No HTTP answer at all: the connection is the problem, whatever the credential.
        return replace(base, outcome=anonymous.outcome, transport=anonymous.outcome,
                       evidence=anonymous.evidence)
    credentialed = None
    if probe.tier == "credentialed" and anonymous.state != "pullable":
        assert probe.profile.credential is not None, "the credentialed tier needs a credential"
        credentialed = await _pass(probe, "credentialed", probe.profile.credential)
    if base.withheld and anonymous.state in _MERGED:
        anonymous = replace(
            anonymous,
            state="missing",
            outcome=PACKAGE_NOT_FOUND,
            evidence=(
                "anonymous: cannot fetch it. A credential is configured for this registry but "
                "may not be used for this request, so 'does not exist' and 'needs access' are "
                "reported alike",
            ),
        )
    outcome = anonymous.outcome
    if anonymous.state != "pullable" and credentialed is not None:
        outcome = credentialed.outcome
    return replace(base, outcome=outcome, reached=True, anonymous=anonymous,
                   credentialed=credentialed)


async def _pass(probe: _Probe, tier: Tier, credential: Credential | None) -> PassResult:
    label = "anonymous" if tier == "anonymous" else "with the operator's credential"
    lines = _Lines(label)
    probe.passes.append(lines)
    status: list[int] = []
    try:
        auth = authorization(credential) if credential is not None else None
        state = await _ASK[probe.target.ecosystem](probe, auth, lines, status)
        return PassResult(tier, state, STATE_OUTCOME[state], tuple(lines.lines), status[-1])
    except _Stop as stop:
        return PassResult(tier, stop.state, stop.outcome, tuple(lines.lines),
                          status[-1] if status else None)
    except TransportFailure as failure:
        lines.add(failure.detail)
        return PassResult(tier, "failed", failure.outcome, tuple(lines.lines),
                          status[-1] if status else None)
    except ConfigError as broken:
        lines.add(f"the operator's credential could not be read ({broken})")
        return PassResult(tier, "failed", None, tuple(lines.lines))


# -- requests ---------------------------------------------------------------------------------


async def _request(
    probe: _Probe, method: str, url: str, auth: str | None, accept: str, lines: _Lines,
    status: list[int],
) -> Reply:
    """One request, following redirects that stay on the registry's own origin only."""
    headers = {"Accept": accept}
    if auth is not None:
        headers["Authorization"] = auth
    for _ in range(MAX_REDIRECTS + 1):
        reply = await fetch(probe.client, method, url, cap=METADATA_CAP, headers=headers)
        status.append(reply.status)
        location = reply.header("location")
        if reply.status not in (301, 302, 303, 307, 308) or not location:
            return reply
        try:
            target = httpx.URL(urljoin(str(reply.url), location))
        except (httpx.InvalidURL, ValueError):
            return reply
        if not probe.same_origin(target) or target.userinfo:
            return reply
        lines.add(f"{method} {_shown(reply.url)}: {reply.status}, redirect within the registry "
                  "followed")
        url = str(target)
    return reply


def _shown(url: httpx.URL) -> str:
    return unquote(url.raw_path.decode("ascii", "replace"))[:120]


def _fail_on_status(reply: Reply, auth: str | None, lines: _Lines, what: str) -> None:
    """End the pass on any answer but 200, saying what it means; return on 200."""
    code = reply.status
    where = f"{what}: {code}"
    if code == 200:
        return
    if code == 401:
        lines.add(f"{where}, the registry wants a login"
                  + (" and rejects the operator's credential" if auth else ""))
        raise _Stop("credential-rejected" if auth else "refused")
    if code == 403:
        lines.add(f"{where}, access refused")
        raise _Stop("denied" if auth else "refused")
    if code in (404, 410):
        lines.add(f"{where}, no such package here" + (" (a web page)" if is_html(reply) else ""))
        raise _Stop("repo-missing")
    if code == 407:
        lines.add(f"{where} Proxy Authentication Required")
        raise _Stop("failed", PROXY)
    if code == 429:
        retry = reply.header("retry-after")
        lines.add(f"{where} Too Many Requests" + (f", Retry-After {retry[:20]}" if retry else ""))
        raise _Stop("throttled")
    if code >= 500:
        lines.add(f"{where}, a server error")
        raise _Stop("server-failing")
    if 300 <= code < 400:
        lines.add(f"{where} redirect to {describe_location(reply)} (not followed: only redirects "
                  "within the registry are)")
    else:
        lines.add(f"{where}, unexpected")
    raise _Stop("failed")


async def _fetched(
    probe: _Probe, method: str, url: str, auth: str | None, accept: str, lines: _Lines,
    status: list[int],
) -> tuple[Reply, str]:
    """A 200 answer to one request and how to name that request, else the pass ends."""
    reply = await _request(probe, method, url, auth, accept, lines, status)
    what = f"{method} {_shown(reply.url)}"
    _fail_on_status(reply, auth, lines, what)
    return reply, what


def _not_a_page(reply: Reply, lines: _Lines, what: str, expected: str) -> None:
    """End the pass as misconfigured when a 200 is a web page where ``expected`` should be."""
    if is_html(reply):
        lines.add(f"{what}: 200 with a web page, not {expected}: the URL is a web UI or a "
                  "wrong path")
        raise _misconfigured()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _media_type(reply: Reply) -> str:
    return (reply.header("content-type") or "").partition(";")[0].strip().lower()


def _body(reply: Reply) -> bytes:
    """The body, gunzipped when the server compressed it anyway (NuGet's ``-gz-`` resources)."""
    if (reply.header("content-encoding") or "").lower() != "gzip":
        return reply.body
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(reply.body, METADATA_CAP)
    except zlib.error:
        return b""


def _versioned(
    target: PackageTarget, found: bool | None, lines: _Lines,
    unknown: str = "the metadata is larger than the cap",
) -> PassState:
    """The pass's end once the package is there: is the version (if any) listed too?
    ``None`` for ``found`` means it could not be told, for the reason ``unknown``."""
    if target.version is None:
        return "pullable"
    said = {True: "listed", False: "not listed", None: f"not checked ({unknown})"}[found]
    lines.add(f"version {target.version}: {said}")
    return "manifest-missing" if found is False else "pullable"


def _in_truncated(body: bytes, version: str) -> bool | None:
    """Whether a cut-off JSON body names ``version`` as a key; None when it cannot be told."""
    # As a key ("1.2.0": {...} in versions, "latest": ... in dist-tags), never as a value: a
    # dependency on that version elsewhere in the document says nothing.
    return True if f'"{version}":'.encode() in body else None


# -- npm --------------------------------------------------------------------------------------


async def _npm(probe: _Probe, auth: str | None, lines: _Lines, status: list[int]) -> PassState:
    url = f"{probe.base}/{probe.target.name.replace('/', '%2f')}"
    reply, what = await _fetched(probe, "GET", url, auth, NPM_ACCEPT, lines, status)
    _not_a_page(reply, lines, what, "the npm registry's JSON")
    data = read_json(reply.body)
    if not isinstance(data, dict):
        if reply.truncated and reply.body.lstrip().startswith(b"{"):
            lines.add(f"{what}: 200, package metadata (over {METADATA_CAP // 1024} KiB)")
            version = probe.target.version
            return _versioned(probe.target, _in_truncated(reply.body, version or ""), lines)
        lines.add(f"{what}: 200, but not JSON package metadata")
        raise _misconfigured()
    versions, tags = data.get("versions"), data.get("dist-tags")
    if not isinstance(versions, dict) and not isinstance(tags, dict):
        lines.add(f"{what}: 200 JSON without versions or dist-tags: not npm package metadata")
        raise _misconfigured()
    count = len(versions) if isinstance(versions, dict) else 0
    lines.add(f"{what}: 200, package metadata ({_count(count, 'version')})")
    version = probe.target.version or ""
    found = version in (versions if isinstance(versions, dict) else {}) or version in (
        tags if isinstance(tags, dict) else {})
    return _versioned(probe.target, found, lines)


# -- PyPI -------------------------------------------------------------------------------------


class _Links(HTMLParser):
    """The file names an HTML simple page links to, and whether it says it is one (PEP 629)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []
        self.declared = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            name = unquote(urlsplit(values["href"] or "").path.rsplit("/", 1)[-1])
            if _DISTRIBUTION.search(name):
                self.files.append(name)
        if tag == "meta" and values.get("name") == "pypi:repository-version":
            self.declared = True


def _file_version(filename: str, project: str) -> str | None:
    """The version in a distribution file name (wheel or sdist) of ``project``."""
    stem = _DISTRIBUTION.sub("", filename)
    if filename.lower().endswith(".whl"):
        parts = stem.split("-")
        return parts[1] if len(parts) >= 5 else None
    name, dash, version = stem.rpartition("-")
    return version if dash and pep503(name) == project else None


def _release(version: str) -> tuple[str, ...]:
    """A version compared as PEP 440 compares releases: ``1.0`` and ``1.0.0`` are one."""
    parts = version.lower().split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return tuple(parts)


async def _pypi(probe: _Probe, auth: str | None, lines: _Lines, status: list[int]) -> PassState:
    root = probe.profile.root
    index = probe.base if root.endswith(("/simple", "/+simple")) else f"{probe.base}/simple"
    url = f"{index}/{probe.target.key}/"
    reply, what = await _fetched(probe, "GET", url, auth, PYPI_ACCEPT, lines, status)
    media = _media_type(reply)
    versions: set[str] = set()
    if media == PYPI_JSON:
        data = read_json(reply.body)
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, list):
            lines.add(f"{what}: 200 {media} without a file list")
            raise _misconfigured()
        listed = data.get("versions") if isinstance(data, dict) else None
        if isinstance(listed, list):
            versions = {str(v) for v in listed}
        names = [str(f.get("filename")) for f in files if isinstance(f, dict)]
        lines.add(f"{what}: 200, a JSON simple index ({_count(len(names), 'file')})")
    elif "json" in media:
        lines.add(f"{what}: 200 {media[:60]}, JSON that is not a simple index (an API URL used "
                  "as the index?)")
        raise _misconfigured()
    else:
        links = _Links()
        links.feed(reply.body.decode("utf-8", "replace"))
        names = links.files
        if not names and not links.declared:
            kind = "a web page" if is_html(reply) else f"{media or 'an untyped answer'}"
            lines.add(f"{what}: 200 with {kind[:60]} that links to no distribution files: not a "
                      "simple index (the index URL points at a web UI or a wrong path)")
            raise _misconfigured()
        lines.add(f"{what}: 200, an HTML simple index ({_count(len(names), 'file')})")
    versions |= {v for n in names if (v := _file_version(n, probe.target.key))}
    want = _release(probe.target.version or "")
    hit = any(_release(v) == want for v in versions)
    return _versioned(probe.target, True if hit else (None if reply.truncated else False), lines)


# -- Maven ------------------------------------------------------------------------------------


async def _maven(probe: _Probe, auth: str | None, lines: _Lines, status: list[int]) -> PassState:
    group, _, artifact = probe.target.name.partition(":")
    folder = f"{probe.base}/{group.replace('.', '/')}/{artifact}"
    reply, what = await _fetched(probe, "HEAD", f"{folder}/maven-metadata.xml", auth, "*/*",
                                 lines, status)
    _not_a_page(reply, lines, what, "maven-metadata.xml")
    lines.add(f"{what}: 200, the artifact has metadata")
    version = probe.target.version
    if version is None:
        return "pullable"
    # A snapshot's files carry a timestamp for a name; its own metadata file does not.
    leaf = "maven-metadata.xml" if version.endswith("-SNAPSHOT") else f"{artifact}-{version}.pom"
    pom = await _request(probe, "HEAD", f"{folder}/{version}/{leaf}", auth, "*/*", lines,
                         status)
    if pom.status == 404:
        lines.add(f"HEAD {_shown(pom.url)}: 404")
        return _versioned(probe.target, False, lines)
    _fail_on_status(pom, auth, lines, f"HEAD {_shown(pom.url)}")
    lines.add(f"HEAD {_shown(pom.url)}: 200")
    return _versioned(probe.target, True, lines)


# -- NuGet ------------------------------------------------------------------------------------


def _registrations(index: object) -> str | None:
    """The registration base URL a v3 service index names, preferring SemVer 2 ones."""
    resources = index.get("resources") if isinstance(index, dict) else None
    if not isinstance(resources, list):
        return None
    by_type: dict[str, str] = {}
    for item in resources:
        if isinstance(item, dict) and isinstance(item.get("@id"), str):
            types = item.get("@type")
            for kind in types if isinstance(types, list) else [types]:
                by_type.setdefault(str(kind), item["@id"])
    return next((by_type[k] for k in _NUGET_REGISTRATIONS if k in by_type), None)


def _nuget_version(version: str) -> str:
    """NuGet's normalised version: no build metadata, three parts at least, a zero fourth gone."""
    core, _, pre = version.lower().partition("+")[0].partition("-")
    parts = [p.lstrip("0") or "0" if p.isdigit() else p for p in core.split(".")]
    parts += ["0"] * (3 - len(parts))
    if len(parts) == 4 and parts[3] == "0":
        parts.pop()
    return ".".join(parts) + (f"-{pre}" if pre else "")


SemVer = tuple[tuple[int, ...], int, tuple[tuple[int, int, str], ...]]


def _semver(version: str) -> SemVer | None:
    """A NuGet version as SemVer 2.0.0 orders it (a release after its pre-releases), or None
    when it is not one."""
    core, _, pre = _nuget_version(version).partition("-")
    numbers = core.split(".")
    if not all(n.isdigit() for n in numbers) or len(numbers) > 4:
        return None
    release = tuple(int(n) for n in numbers) + (0,) * (4 - len(numbers))
    labels = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".") if pre)
    return release, 0 if pre else 1, labels


def _leaf_versions(leaves: object) -> set[str]:
    """The normalised versions of a registration page's leaves."""
    found: set[str] = set()
    for leaf in leaves if isinstance(leaves, list) else []:
        entry = leaf.get("catalogEntry") if isinstance(leaf, dict) else None
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            found.add(_nuget_version(entry["version"]))
    return found


async def _registered(
    probe: _Probe, data: dict[str, object], version: str, auth: str | None, lines: _Lines,
    status: list[int],
) -> tuple[bool | None, str]:
    """Whether ``version`` is registered, reading at most the one page whose range holds it
    when pages are not inlined (nuget.org pages packages with many versions); with why not,
    when it cannot be told."""
    wanted = _nuget_version(version)
    key = _semver(version)
    pages = data.get("items")
    for page in pages if isinstance(pages, list) else []:
        if not isinstance(page, dict):
            continue
        if isinstance(page.get("items"), list):
            if wanted in _leaf_versions(page["items"]):
                return True, ""
            continue
        lower, upper = _semver(str(page.get("lower"))), _semver(str(page.get("upper")))
        if key is None or lower is None or upper is None:
            return None, "the registration's version ranges cannot be read"
        if not lower <= key <= upper:
            continue
        try:
            url = httpx.URL(str(page.get("@id")))
        except httpx.InvalidURL:
            return None, "a registration page has no usable URL"
        if not probe.same_origin(url):
            return None, "the registration page is on another host"
        reply, what = await _fetched(probe, "GET", str(url), auth, "application/json", lines,
                                     status)
        body = read_json(_body(reply))
        lines.add(f"{what}: 200, a registration page")
        return wanted in _leaf_versions(body.get("items") if isinstance(body, dict) else None), ""
    return False, ""


async def _nuget(probe: _Probe, auth: str | None, lines: _Lines, status: list[int]) -> PassState:
    root = probe.profile.root
    index_url = probe.base if root.endswith(".json") else f"{probe.base}/index.json"
    reply = await _request(probe, "GET", index_url, auth, "application/json", lines, status)
    what = f"GET {_shown(reply.url)}"
    if reply.status == 404:
        lines.add(f"{what}: 404, no NuGet v3 service index here (a v2 feed, or a wrong URL)")
        raise _misconfigured()
    _fail_on_status(reply, auth, lines, what)
    index = read_json(_body(reply))
    version = index.get("version") if isinstance(index, dict) else None
    if not isinstance(version, str) or not version.startswith("3."):
        kind = "a web page" if is_html(reply) else "an answer"
        lines.add(f"{what}: 200 with {kind} that is not a NuGet v3 service index")
        raise _misconfigured()
    base = _registrations(index)
    if base is None:
        lines.add(f"{what}: 200, a v3 service index without a RegistrationsBaseUrl resource")
        raise _misconfigured()
    try:
        registration = httpx.URL(urljoin(base.rstrip("/") + "/", f"{probe.target.key}/index.json"))
    except (httpx.InvalidURL, ValueError):
        lines.add(f"{what}: 200, but its RegistrationsBaseUrl is not a URL")
        raise _misconfigured() from None
    if not probe.same_origin(registration):
        lines.add(f"{what}: 200; its registrations are on {registration.host[:60]}, another "
                  "host, which the probe does not contact")
        raise _Stop("failed")
    lines.add(f"{what}: 200, a v3 service index")
    reply, what = await _fetched(probe, "GET", str(registration), auth, "application/json",
                                 lines, status)
    data = read_json(_body(reply))
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        lines.add(f"{what}: 200, but not a registration index")
        raise _misconfigured()
    lines.add(f"{what}: 200, the package is registered")
    if probe.target.version is None:
        return "pullable"
    found, unknown = await _registered(probe, data, probe.target.version, auth, lines, status)
    return _versioned(probe.target, found, lines, unknown)


_ASK = {"npm": _npm, "pypi": _pypi, "maven": _maven, "nuget": _nuget}
