"""Package-registry pastes: which client printed them (npm, pip, mvn, dotnet, go, cargo, ...), the
ecosystem, the registry URL the failing request went to, the package and version asked for, and
the configuration file in play.

A client is recognised by what it prints around its own errors (``npm ERR!``, ``ERR_PNPM_``,
``Could not transfer artifact``, ``error NU1301``), never by its name alone: container pastes
run ``npm ci`` or ``pip install`` in a Dockerfile and fail on an image, and must stay ``oci``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

from knowledge.entry import Ecosystem
from knowledge.extract.scan import ScannedText, matches, rx, words_of


@dataclass(frozen=True, slots=True)
class _Client:
    tool: str
    ecosystem: Ecosystem
    phrases: tuple[str, ...] = ()
    """Literals (whole words at both ends) only this client prints."""
    pattern: re.Pattern[str] | None = None
    """A sign that is not a whole-word literal (``YN0041``), searched only where ``gate`` is."""
    gate: str = ""


# In precedence order: a client that runs another (pnpm and yarn print npm's texts, uv and
# Poetry pip's) comes before it.
_CLIENTS: Final = (
    _Client("pnpm", "npm", ("ERR_PNPM_", "WARN  GET ", "pnpm install", "pnpm add", "pnpm i ",
                            "node_modules/pnpm")),
    _Client("yarn", "npm", ("yarn install", "yarn add", "yarn-error.log", "registry.yarnpkg.com",
                            "There appears to be trouble with",
                            "Incorrect integrity when fetching", "An unexpected error occurred: \"",
                            "Request failed \\\"", "yarn npm"),
            rx(r"\bYN0[0-9]{3}\b"), "YN0"),
    _Client("npm", "npm", ("npm ERR!", "npm error ", "npm WARN", "npm warn ", "npm http ",
                           "npm verb", "npm info", "npm-registry-fetch", "npm install", "npm i ",
                           "npm ci", "npm publish", "npm  v", "registry.npmjs.org",
                           "fetchPackageMetaData", "npm-cli.js", "integrity checksum failed"),
            rx(r"\b(?:code|errno) E[A-Z0-9_]{2,30}\b"), "code E"),
    _Client("uv", "pypi", ("uv pip", "uv sync", "uv add", "uv lock", "uv run", "UV_INDEX",
                           "UV_HTTP_TIMEOUT", "--native-tls", "--system-certs", "uvx ", "╰─▶")),
    _Client("poetry", "pypi", ("poetry install", "poetry add", "poetry lock", "poetry update",
                               "poetry publish", "Authorization error accessing",
                               "tool.poetry")),
    _Client("pipenv", "pypi", ("pipenv install", "pipenv lock", "pipenv sync", "Pipfile")),
    _Client("pip", "pypi", ("pip install", "pip3 install", "pip download",
                            "Looking in indexes", "No matching distribution found",
                            "Could not find a version that satisfies", "pip._vendor",
                            "pip._internal", "Could not fetch URL", "/simple/",
                            "THESE PACKAGES DO NOT MATCH THE HASHES", "PIP_INDEX_URL",
                            "not a trusted or secure host", "files.pythonhosted.org", "pypi.org")),
    _Client("gradle", "maven", ("Could not resolve all files for configuration",
                                "Could not resolve all dependencies for configuration",
                                "Could not resolve all artifacts for configuration",
                                "org.gradle.", "gradlew", "gradle build", "Could not GET '",
                                "Could not HEAD '", "Could not PUT '", "FAILURE: Build failed",
                                "Searched in the following locations")),
    _Client("mvn", "maven", ("Could not transfer artifact", "Could not transfer metadata",
                             "Could not find artifact", "Failed to execute goal",
                             "org.eclipse.aether", "org.apache.maven", "maven-metadata.xml",
                             "Failure to find", "Non-resolvable parent POM",
                             "Failed to read artifact descriptor", "mvn ", "[INFO] BUILD",
                             "Error deploying artifact", "Failed to transfer file",
                             "repo.maven.apache.org", "repo1.maven.org")),
    _Client("dotnet", "nuget", ("dotnet restore", "dotnet build", "dotnet tool",
                                "dotnet nuget", "NuGet.targets", "dotnet publish")),
    _Client("nuget", "nuget", ("nuget restore", "nuget.exe", "NuGet Version",
                               "Unable to load the service index for source",
                               "NuGet.Protocol", "nuget push", "FindPackagesByIdAsync",
                               "api.nuget.org", "[CredentialProvider]", ".nupkg"),
            rx(r"\bNU1[0-9]{3}\b"), "NU1"),
    _Client("helm", "helm", ("helm repo", "helm dependency", "is not a valid chart repository",
                             "index.yaml", "chart repository", "helm install", "helm pull",
                             "helm upgrade", "Error: chart \"", "Error: repo \"")),
    _Client("go", "go", ("go: ", "go get", "go mod", "go build", "go install",
                         "proxy.golang.org", "sum.golang.org", "GOPROXY", "GOPRIVATE",
                         "GONOSUMDB", "go.sum", "go-get=1", "unrecognized import path",
                         "golang.org/doc/faq#git_https", "+incompatible")),
    _Client("cargo", "cargo", ("cargo build", "cargo install", "cargo fetch", "cargo update",
                               "cargo publish", "crates.io", "spurious network error",
                               "Cargo.toml", "Cargo.lock", "cargo login",
                               "failed to get successful HTTP response from", "cargo b",
                               "failed to verify the checksum of")),
    _Client("bundler", "rubygems", ("bundle install", "bundle update", "Bundler::",
                                    "Gemfile", "bundle config", "Bundler found",
                                    "Fetching source index from", "Bad username or password for",
                                    "Authentication is required for", "Could not find gem '")),
    _Client("gem", "rubygems", ("gem install", "Gem::", "rubygems.org", "gem push",
                                "Could not find a valid gem")),
)

_URL = (r"(https?://(?:[^\s\"'`<>()\[\]{},@]{0,200}\[REDACTED [\w-]{1,40}\]@|)"
        r"[^\s\"'`<>()\[\]{},]{3,500})")
"""A URL as clients print it; credentials in it were masked before extraction runs."""
# Where each ecosystem's client names the URL of the failing request (group 1), best first.
_URL_RULES: Final[dict[Ecosystem, tuple[re.Pattern[str], ...]]] = {
    "npm": (
        rx(r"(?:GET|PUT|POST|HEAD) " + _URL),
        rx(r"request to " + _URL + " failed"),
        rx(r"returned [0-9]{3} for (?:GET|PUT) on " + _URL),
        rx(r"fetch failed " + _URL),
        rx(r"checksum for \\?\"" + _URL),
        rx(r"(?:Error: |occurred: \\?\"|(?:^|\n)error )" + _URL + r":"),
        rx(r"(?m)^\s{0,8}(?:@[\w.-]{1,100}:|)registry\s{0,3}=\s{0,3}" + _URL),
        rx(r"--registry[= ]" + _URL),
    ),
    "pypi": (
        rx(r"Looking in indexes: " + _URL),
        rx(r"Could not fetch URL " + _URL),
        rx(r"for url:? \(?" + _URL),
        rx(r"(?:while getting|Failed to fetch:?\s{0,20}`?) ?" + _URL),
        rx(r"index-url\s{0,3}[= ]\s{0,3}" + _URL),
    ),
    "maven": (
        rx(r"(?:from/to|in) [^\s()]{1,200} \(" + _URL + r"\)"),
        rx(r"Could not (?:GET|HEAD|PUT) '" + _URL + "'"),
        rx(r"(?:Failed to transfer file:?|Failure to find [^\s]{1,300} in"
           r"|Downloading from [^\s]{1,100}:) " + _URL),
    ),
    "nuget": (
        rx(r"service index for source '?" + _URL),
        rx(r"(?:source|source\(s\)):? '?" + _URL),
        rx(r"'(?:GET|PUT) " + _URL + "'"),
    ),
    "helm": (
        rx(r"looks like \\?\"" + _URL + r"\\?\""),
        rx(r"helm repo add [^\s]{1,100} " + _URL),
        rx(r"failed to fetch " + _URL),
        rx(r"not found in " + _URL),
    ),
    "go": (
        rx(r"reading " + _URL),
        rx(r"unexpected status \(" + _URL),
        rx(r"Get \\?\"" + _URL),
    ),
    "cargo": (
        rx(r"(?:response from|download from|from) `?" + _URL),
        rx(r"(?:package|crate) [^\n]{1,200} from " + _URL),
    ),
    "rubygems": (
        rx(r"(?:Fetching source index from|for|from|Unable to download data from) " + _URL),
        rx(r"\((" + _URL[1:-1] + r")\)"),
    ),
}
_URL_TRAILING = ".,:;'\"`\\"
_SPLIT_AT: Final[dict[Ecosystem, re.Pattern[str]]] = {
    # The registry's root ends where the package's own path starts: npm's last path segment
    # (a scoped name is one, ``@scope%2fname``) or its tarball path, a Maven group's path down
    # to the file, a Go module path.
    "npm": rx(r"/(?:@[^/\s]{1,100}(?:%2[fF]|/)[^/\s]{1,200}|[^/@\s]{1,200})"
              r"(?:/-/[^\s]{0,300}|/?)$"),
    "pypi": rx(r"(?<=/simple/)|/packages/"),
    "maven": rx(r"/(?:com|org|io|net|de|dev|javax|jakarta|me|uk|cc|tn|eu|at|ch|fr|nl|pl|se|br"
                r"|cn|jp|ru|au|edu|info|xyz)/[^\s]{1,500}\.(?:pom|jar|aar|xml|module|war|zip)$"),
    "go": rx(r"/[a-z0-9-]{1,63}\.[a-z0-9.-]{1,200}/[^\s]{0,500}/@v/"),
    "cargo": rx(r"/api/v1/crates/"),
    "nuget": rx(r"/(?:v3-flatcontainer|flatcontainer|flat2|v3/package|registration[\w-]{0,40})/"),
}
_NPM_PATH = rx(r"/(@[^/\s]{1,100}(?:%2[fF]|/)[^/\s]{1,200}|[^/@\s]{1,200})"
               r"(?:/-/[^\s]{0,300}?-([0-9][\w.+-]{0,60})\.tgz|/?)$")

_PACKAGE_RULES: Final[dict[Ecosystem, tuple[re.Pattern[str], ...]]] = {
    # Group 1 the package, group 2 (optional) the version.
    "npm": (
        rx(r"'(@?[^@'\s]{1,214})@([^'\s]{1,100})' is not in (?:this|the npm) registry"),
        rx(r"No matching version found for (@?[^@\s]{1,214})@([^\s]{1,100}?)\.?(?:\s|$)"),
        rx(r"(?:Couldn't find package|Integrity check failed for|checksum for) "
           r"\"(@?[^\"@\s:]{1,214})\""),
        rx(r"Couldn't find any versions for \"(@?[^\"\s]{1,214})\" that matches "
           r"\"([^\"\s]{1,100})\""),
        rx(r"(?:GET|PUT) https?://[^\s]{1,300}?/(@[^/\s]{1,100}(?:%2[fF]|/)[\w.-]{1,200}"
           r"|[\w.-]{1,200})(?:/-/[\w.-]{1,300}?-([0-9][\w.+-]{0,100})\.tgz|)(?:[\s:]|$)"),
        rx(r"(?:npm|pnpm|yarn) (?:install|i|add) (@?[\w./-]{1,214})@([^\s]{1,100})"),
    ),
    "pypi": (
        rx(r"No matching distribution found for ([A-Za-z0-9][\w.\[\],-]{0,200})"
           r"(?:==([^\s;]{1,100})|)"),
        rx(r"satisfies the requirement ([A-Za-z0-9][\w.\[\],-]{0,200})(?:==([^\s;]{1,100})|)"),
        rx(r"(?:Hash mismatch for|Failed to download) `?([A-Za-z0-9][\w.-]{0,200})"
           r"==([^`\s]{1,100})"),
        rx(r"Because ([A-Za-z0-9][\w.-]{0,200}) was not found in the package registry"),
        rx(r"/simple/([A-Za-z0-9][\w.-]{0,200})/"),
    ),
    "maven": (
        rx(r"(?:Could not find artifact|Could not transfer artifact|Failure to find|Could not find|"
           r"Could not resolve) ([\w.-]{1,200}):([\w.-]{1,200}):(?:[\w.-]{1,50}:|)"
           r"(?:[\w.-]{1,50}:|)([\w+-][\w.+-]{0,99})"),
        rx(r"(?:Could not find artifact|Could not transfer artifact|Failure to find) "
           r"([\w.-]{1,200}):([\w.-]{1,200})"),
    ),
    "nuget": (
        rx(r"Unable to find package ([\w.-]{1,200})(?: with version \(([^)\n]{1,100})\)|)"),
        rx(r"hash validation failed for ([\w.-]{1,200}?)\.([0-9][\w.-]{0,60}?)\.?(?:\s|$)"),
    ),
    "helm": (
        rx(r"chart \\?\"([^\"\\\s]{1,200})\\?\" (?:version \\?\"([^\"\\\s]{1,100})\\?\"|matching "
           r"([^\s]{1,100}))"),
    ),
    "go": (
        rx(r"(?:go: |verifying |go get |go mod download: )"
           r"([a-z0-9.-]{1,100}\.[a-z]{2,20}/[\w./-]{1,200}?)@(v[0-9][\w.+-]{0,100})"),
    ),
    "cargo": (
        rx(r"no matching package named `?([\w-]{1,100})"),
        rx(r"(?:checksum of|download any data for|download of) "
           r"`?([\w-]{1,100}) v([0-9][\w.+-]{0,60})"),
        rx(r"failed to download package `?([\w-]{1,100}) v([0-9][\w.+-]{0,60})"),
    ),
    "rubygems": (
        rx(r"Could not find (?:a valid )?gem '([\w.-]{1,100})(?: \(([^)\n]{1,60})\)|)'"),
        rx(r"Could not find a valid gem '([\w.-]{1,100})' \(([^)\n]{1,60})\)"),
        rx(r"/gems/([\w-]{1,100}?)-([0-9][\w.]{0,40})\.gem\b"),
    ),
}

_CONFIG_FILES: Final = (  # (literal in the paste, the file it names), most specific first
    (".cargo/config.toml", ".cargo/config.toml"), (".cargo/config", ".cargo/config.toml"),
    (".yarnrc.yml", ".yarnrc.yml"), (".npmrc", ".npmrc"), (".yarnrc", ".yarnrc"),
    ("pip.conf", "pip.conf"), ("pip.ini", "pip.ini"), ("PIP_INDEX_URL", "PIP_INDEX_URL"),
    ("PIP_EXTRA_INDEX_URL", "PIP_EXTRA_INDEX_URL"), ("settings.xml", "settings.xml"),
    ("NuGet.Config", "NuGet.Config"), ("nuget.config", "NuGet.Config"),
    ("GOPRIVATE", "GOPRIVATE"), ("GONOSUMDB", "GONOSUMDB"), ("GOPROXY", "GOPROXY"),
    ("repositories.yaml", "repositories.yaml"), (".gemrc", ".gemrc"),
    (".bundle/config", ".bundle/config"), ("gradle.properties", "gradle.properties"),
)
_CONFIG_OF_TOOL: Final = {
    "npm": ".npmrc", "pnpm": ".npmrc", "yarn": ".npmrc", "pip": "pip.conf",
    "pipenv": "Pipfile", "poetry": "pyproject.toml", "uv": "pyproject.toml",
    "mvn": "settings.xml", "gradle": "build.gradle", "dotnet": "NuGet.Config",
    "nuget": "NuGet.Config", "helm": "repositories.yaml", "go": "GOPROXY",
    "cargo": ".cargo/config.toml", "bundler": ".bundle/config", "gem": ".gemrc",
}
"""The file (or variable) that says which registry a client uses, when the paste names none."""
_YARN_BERRY = rx(r"\bYN0[0-9]{3}\b")


@dataclass(frozen=True, slots=True)
class PackageFacts:
    """What a package client's paste says about the failed request."""

    ecosystem: Ecosystem
    tool: str
    registry_url: str | None = None
    package: str | None = None
    version: str | None = None
    config_file: str | None = None


def url_host(url: str) -> str:
    """The host of a URL as clients print it (``scheme://[user:masked@]host[:port]/...``); the
    masker's placeholder in the user part is not a host."""
    netloc = url.partition("://")[2].partition("/")[0]
    return netloc.rpartition("@")[2]


def _phrase_index() -> tuple[dict[bytes, tuple[tuple[int, str], ...]], tuple[tuple[int, str], ...]]:
    """Each client phrase under its longest word, so that one set intersection with the paste's
    words finds the few phrases worth looking for; phrases without a word are always looked for.
    """
    by_word: dict[bytes, list[tuple[int, str]]] = {}
    always: list[tuple[int, str]] = []
    for index, client in enumerate(_CLIENTS):
        for phrase in client.phrases:
            words = words_of(phrase)
            if words:
                by_word.setdefault(max(words, key=len), []).append((index, phrase))
            else:
                always.append((index, phrase))
    return {word: tuple(found) for word, found in by_word.items()}, tuple(always)


_PHRASES_BY_WORD, _PHRASES_ALWAYS = _phrase_index()
_PHRASE_WORDS: Final = frozenset(_PHRASES_BY_WORD)


def find_client(scanned: ScannedText) -> tuple[str, Ecosystem] | None:
    """The package client whose output the paste shows, and its ecosystem; None if none.

    Runs on every paste: a set intersection picks the phrases that can occur, so a container
    paste costs about one lookup per word it shares with the clients' phrases.
    """
    first = len(_CLIENTS)
    for word in scanned.words & _PHRASE_WORDS:
        for index, phrase in _PHRASES_BY_WORD[word]:
            if index < first and scanned[phrase]:
                first = index
    for index, phrase in _PHRASES_ALWAYS:
        if index < first and phrase in scanned.text:
            first = index
    for index, client in enumerate(_CLIENTS[:first]):
        if (client.pattern is not None and client.gate in scanned.text
                and client.pattern.search(scanned.text) is not None):
            first = index
            break
    if first == len(_CLIENTS):
        return None
    return _CLIENTS[first].tool, _CLIENTS[first].ecosystem


def find_package_facts(scanned: ScannedText, tool: str, ecosystem: Ecosystem) -> PackageFacts:
    """The registry URL, package, version and configuration file a package paste names."""
    package, version = _package(scanned.text, ecosystem)
    url = (_request_url(scanned.text, ecosystem)
           if scanned.has_word(b"http") or scanned.has_word(b"https") else None)
    root = None
    if url is not None:
        root, path = _split_url(url, ecosystem)
        if package is None and ecosystem == "npm" and (m := _NPM_PATH.match(path)):
            # The request was for this package (its metadata, or its tarball's version).
            package, version = unquote(m[1]), m[2] or version
    return PackageFacts(
        ecosystem=ecosystem,
        tool=tool,
        registry_url=root,
        package=package,
        version=version,
        config_file=_config_file(scanned, tool),
    )


def _request_url(text: str, ecosystem: Ecosystem) -> str | None:
    """The URL of the failing request, as the client printed it."""
    for regex in _URL_RULES.get(ecosystem, ()):
        for m in matches(regex, text):
            url = m[1].rstrip(_URL_TRAILING)
            if "://" in url[8:]:
                continue  # a URL quoted inside another one's query
            return url
    return None


def _split_url(url: str, ecosystem: Ecosystem) -> tuple[str, str]:
    """The registry's base URL and the package's own path after it."""
    path_start = url.find("/", url.find("://") + 3)
    if path_start < 0:
        return url + "/", ""
    split = _SPLIT_AT.get(ecosystem)
    m = split.search(url, path_start) if split else None
    root, path = (url[: m.start()], url[m.start():]) if m else (url, "")
    # A service index (NuGet's index.json) is the URL itself, not a folder.
    return (root if root.endswith(("/", ".json")) else root + "/"), path


def _package(text: str, ecosystem: Ecosystem) -> tuple[str | None, str | None]:
    for regex in _PACKAGE_RULES.get(ecosystem, ()):
        m = regex.search(text)
        if m is None:
            continue
        groups = list(m.groups())
        if ecosystem == "maven" and len(groups) >= 2:
            version = groups[2].rstrip(".") if len(groups) > 2 and groups[2] else None
            return f"{groups[0]}:{groups[1]}", version
        name = unquote(groups[0]).rstrip(".")
        version = next((g for g in groups[1:] if g), None)
        return name, version
    return None, None


def _config_file(scanned: ScannedText, tool: str) -> str | None:
    for literal, name in _CONFIG_FILES:
        if scanned[literal]:
            return name
    if tool == "yarn" and _YARN_BERRY.search(scanned.text):
        return ".yarnrc.yml"
    return _CONFIG_OF_TOOL.get(tool)
