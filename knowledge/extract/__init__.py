"""Facts in a pasted registry error: the images, registry, tool, operation, status and platform.

This runs on every paste, so it is built to be fast. A substring search or a regex scan costs
one pass over the paste, and extraction asks about a hundred literals. So the paste is split
into its words once (lower case, every character but a-z and 0-9 a separator). A literal is
searched for only when the words inside it all occur, so most literals cost a set lookup.
Every regular expression starts with a literal, so the engine jumps from one occurrence to the
next. No pattern repeats a group that itself repeats, and at most ``MAX_MATCHES`` matches of a
pattern are looked at, so the time is linear in the size of the paste.

One module per fact: ``scan`` (the paste split into words), ``commands``, ``hosts``,
``images``, ``tools``, ``operations``, ``status``, ``oci``, ``platform``, ``environment``,
``values`` (proxy, credential helper, region, digest, a repository without a tag) and
``packages`` (a package client's ecosystem, registry URL, package, version, config file).
"""

from __future__ import annotations

from knowledge.context import Context, Registry
from knowledge.entry import Ecosystem
from knowledge.extract.commands import find_commands
from knowledge.extract.environment import find_environments
from knowledge.extract.hosts import api_host, first_host
from knowledge.extract.images import find_images
from knowledge.extract.oci import OCI_ERROR_CODES, oci_codes
from knowledge.extract.operations import find_operation
from knowledge.extract.packages import find_client, find_package_facts, url_host
from knowledge.extract.platform import find_platform
from knowledge.extract.scan import ScannedText
from knowledge.extract.status import http_status
from knowledge.extract.tools import find_tool
from knowledge.extract.values import (
    find_credential_helper,
    find_digest,
    find_proxy,
    find_region,
    find_repository,
)
from knowledge.reference import normalize_host
from knowledge.registries import registry_family

_OCI_SIGNS = (
    "oci://", "Error pulling image", "Failed to pull image", "failed to pull and unpack",
    "Error response from daemon", "pull access denied", "Invalid image reference",
    "InvalidImageReferenceException", "ApplyLayer", "Pulling from ", "manifest unknown",
    "jib-maven-plugin", "jib-gradle-plugin", "com.google.cloud.tools.jib", "/manifests/",
    "/blobs/",
)
"""Phrases only container tools print: a paste with one (or a registry API URL, ``/v2/``) is
about an image, even when a package client's output (a Dockerfile's ``RUN pip install``, a jib
build in Maven) surrounds it."""

__all__ = ["OCI_ERROR_CODES", "extract_context"]


def extract_context(text: str) -> Context:
    """Extract what a (normalised, secret-masked) paste says about the failed operation.

    Images are in order of evidence: references named by the error line itself first, then
    those from the surrounding output and command lines, each in order of appearance; bare
    host-qualified tokens (``registry.example.com/team/app:1``) only when nothing else names an
    image. Invalid references are skipped (telling the user about them is the classifier's job).
    The registry is the first image's, else the first host the paste names in a registry URL,
    DNS lookup, ``pinging container registry`` or login, else a token server's.
    """
    scanned = ScannedText(text)
    commands = find_commands(scanned)
    codes = oci_codes(scanned)
    shows_oci = bool(codes) or scanned.any_of(_OCI_SIGNS) or (
        scanned.has_word(b"v2") and api_host(scanned.text, "/v2/") is not None)
    client = None if shows_oci else find_client(scanned)
    if client is not None:
        return _package_context(scanned, *client)
    named_host = first_host(scanned, commands)
    images = find_images(scanned, commands, named_host)
    host = images[0].host if images else named_host
    tool = find_tool(scanned, commands)
    return Context(
        images=images,
        registry=Registry(host, registry_family(host)) if host else None,
        tool=tool,
        operation=find_operation(scanned, commands, tool),
        http_status=http_status(scanned),
        oci_codes=codes,
        platform=find_platform(scanned),
        environments=find_environments(scanned, tool),
        proxy=find_proxy(scanned),
        credential_helper=find_credential_helper(scanned),
        region=find_region(scanned),
        digest=find_digest(scanned),
        repository=None if images else find_repository(scanned),
    )


def _package_context(scanned: ScannedText, tool: str, ecosystem: Ecosystem) -> Context:
    """The context of a package client's paste: no images (a registry URL's path is not one),
    the registry the failing request went to, the package and the configuration in play."""
    facts = find_package_facts(scanned, tool, ecosystem)
    host = normalize_host(url_host(facts.registry_url)) if facts.registry_url else None
    return Context(
        registry=Registry(host, registry_family(host)) if host else None,
        tool=tool,
        http_status=http_status(scanned),
        environments=find_environments(scanned, find_tool(scanned, [])),
        proxy=find_proxy(scanned),
        region=find_region(scanned),
        ecosystem=ecosystem,
        package=facts.package,
        package_version=facts.version,
        registry_url=facts.registry_url,
        config_file=facts.config_file,
    )
