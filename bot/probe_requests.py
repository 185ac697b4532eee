"""The registry probe in Slack: which image or package a click or a command may probe, and
probing it.

User text decides which host the probe calls, so what is probed must be what the paste (or
the command argument) named, never anything else:

* a "Probe registry" button carries the reply's packed diagnosis (or, on an image card, the
  bare reference), so its image or package is the one the reply was about;
* when Slack sends the reply back with the click (a message in a channel), the click's value
  must be exactly the value of that reply's own probe button, or nothing is probed;
* an ephemeral reply is not sent back, and only its reader can click it: its value must still
  be a reply state or a reference, and the result goes to that reader alone;
* ``/registry-why probe <image>`` and ``/registry-why probe <ecosystem> <package>[@version]
  [registry-url]`` probe their argument, for the asker alone.

The probe's own policy (listed hosts and package registries, blocked addresses, credentials,
rate limits) applies to every one of these; see :mod:`bot.probe`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot import observe
from bot.probe import (
    ProbeCache,
    ProbeConfig,
    ProbeResult,
    Requester,
    choose_tier,
    pick_registry,
    probe_image,
    probe_package,
)
from bot.probe.package_names import PACKAGE_ECOSYSTEMS, InvalidPackage, package_target, split_spec
from bot.render.button_state import ButtonStateError, carried_package, unpack
from bot.slack.ids import ACTION_PROBE
from knowledge import (
    Context,
    Diagnosis,
    ImageReference,
    InvalidReference,
    mask_secrets,
    normalize,
    parse_reference,
)

COMMAND_WORD = "probe"
"""``/registry-why probe <image>`` or ``/registry-why probe <ecosystem> <package> [url]``."""
ECOSYSTEMS = ", ".join(sorted(PACKAGE_ECOSYSTEMS))
PACKAGE_USAGE = (
    "Usage: /registry-why probe <ecosystem> <package>[@version] [registry-url], for example "
    "/registry-why probe npm @acme/ui@1.2.0 https://npm.acme.io/ (ecosystems: "
    f"{ECOSYSTEMS}; pypi also takes name==version, maven group:artifact:version). Without a "
    "registry URL the ecosystem's one listed registry is probed."
)
COMMAND_USAGE = (
    "Usage: /registry-why probe <image>, for example /registry-why probe ghcr.io/org/app:1.2; "
    "or /registry-why probe <ecosystem> <package>[@version] [registry-url], for example "
    f"/registry-why probe npm @acme/ui@1.2.0 https://npm.acme.io/ (ecosystems: {ECOSYSTEMS})"
)
PROBE_OFF = (
    "The registry probe is not enabled on this bot. An operator can turn it on with "
    "REGISTRY_WHY_PROBE=true or a registries file (REGISTRY_WHY_REGISTRIES)."
)
MISMATCHED_BUTTON = (
    "This button does not match the reply it is on, so nothing was probed. "
    "Ask again with /registry-why probe <image> (or <ecosystem> <package>)."
)
STALE_BUTTON = "This button can no longer be used (the bot has changed since); nothing was probed."
NOTHING_TO_PROBE = (
    f"This reply names no image and no package ({ECOSYSTEMS}), so there is nothing to probe."
)
PROBE_FAILED = (
    "The probe could not finish because of an error in the bot, so nothing was concluded. "
    "Try again in a minute; if it keeps failing, an operator can find the error in the bot's log."
)


@dataclass(frozen=True, slots=True)
class PackageRequest:
    """A package to probe, as the paste or the command spelled it (checked by
    :func:`package_request`)."""

    ecosystem: str
    name: str
    version: str | None
    registry_url: str | None
    """The registry or index URL the client used; None lets the probe take the ecosystem's
    one listed registry."""
    label: str
    """``npm package @acme/ui@1.2.0``: what the probe's result will name."""

    def __str__(self) -> str:
        return self.label


def package_request(ecosystem: str, name: str, version: str | None = None,
                    registry_url: str | None = None) -> PackageRequest:
    """The package to probe; raises InvalidPackage when ``name`` (or ``ecosystem``) is not
    one the probe can ask about."""
    checked = package_target(ecosystem, name, version)
    return PackageRequest(checked.ecosystem, checked.name, version, registry_url,
                          f"{checked.ecosystem} package {checked}")


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    """An image (or a package) the asker may have probed, and what the reply it came from said
    about it."""

    image: ImageReference | None
    suspected: str | None = None
    """The class the reply named (judged against what the probe sees), if any."""
    diagnosis: Diagnosis | None = None
    """The reply's diagnosis, to rebuild an ephemeral reply; None for an image card or a
    command."""
    package: PackageRequest | None = None
    """The package to probe instead of an image."""

    def __post_init__(self) -> None:
        if (self.image is None) == (self.package is None):
            raise ValueError("a probe target is one image or one package")

    @property
    def label(self) -> str:
        """The image reference or the package, as progress notes name it."""
        return str(self.package if self.package is not None else self.image)


@dataclass(frozen=True, slots=True)
class NotProbed:
    """Nothing will be probed; ``reason`` is for the person who asked."""

    reason: str


def package_of(context: Context) -> PackageRequest | None:
    """The package a paste is about, when the probe can ask its registry about it: as a button
    carries it (:func:`~bot.render.button_state.carried_package`), so the CLI and a click
    probe the same."""
    carried = carried_package(context)
    if context.ecosystem not in PACKAGE_ECOSYSTEMS or carried is None:
        return None
    try:
        return package_request(context.ecosystem, carried.name, carried.version,
                               carried.registry_url)
    except InvalidPackage:
        return None


def target_of(diagnosis: Diagnosis) -> ProbeTarget | None:
    """What a reply's "Probe registry" button probes: the package of a package paste, the
    image of an image paste; None when there is none the probe can ask about. An image named
    in a package paste is the build's, not the failing request's, so it is never probed."""
    context = diagnosis.context
    if context.ecosystem != "oci":
        package = package_of(context)
        return None if package is None else ProbeTarget(None, diagnosis.class_id, diagnosis,
                                                        package)
    if context.image is not None:
        return ProbeTarget(context.image, diagnosis.class_id, diagnosis)
    return None


def probe_values(blocks: Iterable[Mapping[str, Any]]) -> set[str]:
    """The values of every "Probe registry" button in a message's blocks."""
    return {
        str(element.get("value", ""))
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements") or ()
        if isinstance(element, Mapping) and element.get("action_id") == ACTION_PROBE
    }


def target_from_button(
    value: str, reply_blocks: Iterable[Mapping[str, Any]] | None
) -> ProbeTarget | NotProbed:
    """What a click on "Probe registry" may probe.

    ``reply_blocks`` are the blocks of the message the button is on, as Slack sent them with
    the click (None for an ephemeral reply, which Slack does not send back).
    """
    if reply_blocks is not None and value not in probe_values(reply_blocks):
        return NotProbed(MISMATCHED_BUTTON)
    if value.startswith("{"):
        try:
            diagnosis = unpack(value)
        except ButtonStateError:
            return NotProbed(STALE_BUTTON)
        return target_of(diagnosis) or NotProbed(NOTHING_TO_PROBE)
    try:
        return ProbeTarget(parse_reference(value))
    except InvalidReference:
        return NotProbed(STALE_BUTTON)


def command_argument(text: str) -> str | None:
    """What follows ``probe`` (empty when nothing does); None when the command text is not a
    probe request."""
    word, _, rest = text.strip().partition(" ")
    return rest.strip() if word.lower() == COMMAND_WORD else None


def target_from_command(argument: str) -> ProbeTarget | NotProbed:
    """What ``/registry-why probe <argument>`` may probe: the one image reference it names, or
    ``<ecosystem> <package>[@version] [registry-url]``."""
    # Slack may deliver a typed host as a link (<http://ghcr.io/x|ghcr.io/x>): read it back.
    text = normalize(argument).strip()
    if not text:
        return NotProbed(COMMAND_USAGE)
    words = text.split()
    if words[0].lower() in PACKAGE_ECOSYSTEMS and len(words) > 1:
        return _package_from_command(words[0].lower(), words[1:])
    if len(words) > 1:
        return NotProbed(f"Give one image reference, or an ecosystem and a package. "
                         f"{COMMAND_USAGE}")
    try:
        return ProbeTarget(parse_reference(text))
    except InvalidReference as exc:
        # The problem quotes the argument, and people paste tokens into commands too.
        problem, _found = mask_secrets(exc.problem)
        return NotProbed(f"That is not an image reference: {problem}. {COMMAND_USAGE}")


def _package_from_command(ecosystem: str, words: list[str]) -> ProbeTarget | NotProbed:
    if len(words) > 2:
        return NotProbed(f"Give one package and at most one registry URL. {PACKAGE_USAGE}")
    found = mask_secrets(" ".join(words))[1]
    if found:
        # Never probed, never quoted: the probe uses the operator's credential, not the asker's.
        labels = ", ".join(r.label for r in found)
        return NotProbed(
            f"That holds {labels}: give the package and the registry URL alone (the probe uses "
            "the operator's credential, never yours). It has reached Slack: rotate it now. "
            f"{PACKAGE_USAGE}")
    spec, url = words[0], words[1] if len(words) == 2 else None
    if url is not None and not _is_web_url(url):
        return NotProbed(f"{url[:120]!r} is not a registry URL (http:// or https://). "
                         f"{PACKAGE_USAGE}")
    name, version = split_spec(ecosystem, spec)
    try:
        package = package_request(ecosystem, name, version, url)
    except InvalidPackage as exc:
        return NotProbed(f"That is not a {ecosystem} package: {exc}. {PACKAGE_USAGE}")
    return ProbeTarget(None, package=package)


def _is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


async def probe_target(
    target: ProbeTarget, *, requester: Requester | None, config: ProbeConfig,
    cache: ProbeCache | None,
) -> ProbeResult:
    """Probe the target's image or package (judging the reply's class, if any) under the
    probe's policy; never raises for what the registry or network does."""
    if target.package is not None:
        package = target.package
        return await probe_package(
            package.ecosystem, package.name, version=package.version,
            registry_url=package.registry_url, suspected=target.suspected,
            requester=requester, config=config, cache=cache,
        )
    assert target.image is not None, "a target without a package has an image"
    return await probe_image(target.image, suspected=target.suspected, requester=requester,
                             config=config, cache=cache)


class Prober:
    """The probe as Slack uses it: one configuration and one shared cache per process."""

    def __init__(self, config: ProbeConfig, cache: ProbeCache) -> None:
        self.config = config
        self.cache = cache
        self.listeners: list[Callable[[ProbeResult], Awaitable[None]]] = []
        """Told every result (incident mode keeps the last outcome per registry)."""

    def shows_openly(self, target: ProbeTarget, requester: Requester) -> bool:
        """Whether this asker's probe of ``target`` would give a result fit for a channel: the
        host (or package registry) may be probed, and without the operator's credential. Known
        before probing, so progress is shown in the open only when the result will be too; the
        result's own ``ephemeral`` and ``refused`` decide in the end."""
        if target.package is not None:
            package = target.package
            try:
                checked = package_target(package.ecosystem, package.name, package.version)
            except InvalidPackage:
                return False
            profile = pick_registry(self.config, checked, package.registry_url)[0]
            repository = checked.key
        else:
            assert target.image is not None, "a target without a package has an image"
            profile = self.config.profile_for(target.image.host)
            repository = target.image.repository
        if profile is None:
            return False
        tier, _ = choose_tier(profile, repository, requester)
        return tier == "anonymous"

    async def probe(self, target: ProbeTarget, requester: Requester) -> ProbeResult:
        """Probe the target's image or package for ``requester``, judging the reply's class if
        any.

        Never raises for what the registry or network does; refusals (host not allowed,
        address blocked, rate limit) come back with ``refused`` set.
        """
        result = await probe_target(target, requester=requester, config=self.config,
                                    cache=self.cache)
        observe.probed(result)
        for listener in self.listeners:
            await listener(result)
        return result
