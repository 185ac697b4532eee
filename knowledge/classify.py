"""Naming the cause: score every knowledge-base entry against a paste.

Each entry's patterns carry weights that read as "how sure a match alone makes us" (derived
from the training corpus by scripts/fit-weights). An entry's score combines its matching
patterns as independent evidence (1 - prod(1 - w)). Exclusions veto an entry; ``overrides``
let a more specific cause beat a general one that fires on the same text. Below ``NAMED_AT``
we say "not sure" rather than guess.

Every candidate carries two scores from one pass. ``confidence`` is the *asked* reading:
someone asked about this text, so it is about a registry and patterns that need a registry
context count. ``unasked`` is the reading of a paste nobody asked about: those patterns count
only when the paste itself shows a registry, image or registry tool.

Cost stays linear in the size of the paste: one Aho-Corasick pass (pyahocorasick, in C) finds
which of the knowledge base's literal anchors occur in the text, a pattern's regular expression
runs only when the literals every match must contain are all there, and every pattern has
bounded repeats (enforced when the knowledge base loads).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter

import ahocorasick

from knowledge.context import Context
from knowledge.entry import Entry
from knowledge.loader import KnowledgeBase
from knowledge.patterns import anchor_groups, max_width
from knowledge.wrappers import peel

NAMED_AT = 0.3
"""The confidence at which a class is named; below it the answer is "no class"."""

AMBIGUITY_GAP = 0.1
"""Two unrelated classes scoring within this of each other on one line make us less sure."""

AMBIGUITY_PENALTY = 0.15

OVERRIDE_MARGIN = 0.15
"""An overriding class must score at least this close to the one it overrides to win."""

OVERRIDDEN_FACTOR = 0.25
"""How much an overridden (less specific) class keeps of its score, as a runner-up."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One class that matched, with its evidence line."""

    class_id: str
    confidence: float
    line: str
    """The line that decided the class, as pasted (masked, normalised)."""
    line_start: int
    """Offset of the evidence line in the text: tells "same line" from "another error"."""
    unasked: float = 0.0
    """The confidence when nobody asked: without assuming the text is about a registry."""

    @property
    def evidence(self) -> str:
        """The deciding line with its wrappers peeled off (worked out only when shown)."""
        return peel(self.line)


@dataclass(frozen=True, slots=True)
class Classification:
    """Every candidate, best first, after exclusions, overrides and ambiguity are applied."""

    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate | None:
        """The named cause, when one is confident enough."""
        if self.candidates and self.candidates[0].confidence >= NAMED_AT:
            return self.candidates[0]
        return None


@dataclass(frozen=True, slots=True)
class Fired:
    """One pattern of an entry that matched a text."""

    index: int
    """The pattern's position in its entry's ``[[match.pattern]]`` list."""
    start: int
    unasked: bool
    """Whether it counts for a paste nobody asked about (see ``Pattern.registry_context``)."""


@dataclass(frozen=True, slots=True)
class _Rule:
    regex: re.Pattern[str]
    anchors: tuple[frozenset[str], ...]
    width: int
    """The longest text a match can span."""
    weight: float = 1.0
    registry_context: bool = False
    operations: frozenset[str] = frozenset()

    def present(self, found: dict[str, int]) -> bool:
        """Whether every literal group this rule needs has a member among ``found``."""
        return all(any(a in found for a in group) for group in self.anchors)

    def search(self, text: str, found: dict[str, int]) -> re.Match[str] | None:
        """The first match in ``text``, searched only from where one can start.

        A match holds a literal of every anchor group, so it cannot start more than
        ``width`` characters before the first place the latest-appearing group occurs: a long
        log that mentions the anchors only at its end is scanned only at its end.
        """
        start = max((min(found[a] for a in group if a in found) for group in self.anchors),
                    default=0)
        return self.regex.search(text, max(0, start - self.width))


@dataclass(frozen=True, slots=True)
class _Matcher:
    entry_id: str
    patterns: tuple[_Rule, ...]
    excludes: tuple[_Rule, ...]
    overrides: frozenset[str]


def _anchors(regex: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(group) for group in anchor_groups(regex))


def _matcher(entry: Entry) -> _Matcher:
    return _Matcher(
        entry_id=entry.id,
        patterns=tuple(
            _Rule(
                re.compile(p.regex, re.IGNORECASE),
                _anchors(p.regex),
                max_width(p.regex),
                weight=p.weight,
                registry_context=p.registry_context,
                operations=frozenset(p.operations),
            )
            for p in entry.match.patterns
        ),
        excludes=tuple(
            _Rule(re.compile(x, re.IGNORECASE), _anchors(x), max_width(x))
            for x in entry.match.exclude
        ),
        overrides=frozenset(entry.match.overrides),
    )


_REGISTRY_WORDS = ("/v2/", "/v1/", "registry", "image", "pull", "push", "manifest", "blob",
                   "login", "docker.io", "token")
"""Words that make a line about a registry operation, whatever tool printed it."""


def _registry_hosts(context: Context) -> tuple[str, ...]:
    # Hosts of image references only: the registry host extraction finds is often read off
    # the very error line (``lookup db on ...: no such host``), so it would vouch for itself.
    # A package registry's host is the exception: it comes from a URL a package client said it
    # requested (``GET https://npm.acme.io/x``, ``Looking in indexes: ...``), which is a
    # registry by the client's own word.
    hosts = {image.host.lower() for image in context.images}
    if context.registry_url and context.registry:
        hosts.add(context.registry.host.lower())
    return tuple(hosts)


_PACKAGE_REGISTRY_WORDS = (
    "npm err!", "npm error", "npm warn retry", "err_pnpm_", "yn00", "request to http",
    "fetch failed", "spurious network error", "failed to download from", "index.crates.io",
    "crates.io index", "could not transfer", "could not resolve", "could not get resource",
    "could not fetch url", "retrying (retry(", "connection broken by", "max retries exceeded",
    "nu1301", "nu1801", "service index", "unable to download data from", "fetching source index",
    "could not fetch specs", "retrying fetcher", "index.yaml", "chart repository",
    "proxy.golang.org", "sum.golang.org", "/simple/",
)
"""What a package client prints on the line of a failed request to its registry (its wrapper
or error prefix, or the Go proxy's host): the line is about a registry request. A public
registry's host name alone is not enough: a proxy's log names it too."""


def _about_registry(line: str, hosts: tuple[str, ...]) -> bool:
    lowered = line.lower()
    return any(word in lowered for word in _REGISTRY_WORDS) or any(h in lowered for h in hosts)


def _about_package_registry(line: str) -> bool:
    lowered = line.lower()
    return any(word in lowered for word in _PACKAGE_REGISTRY_WORDS)


def _line_at(text: str, pos: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, text[start : end if end >= 0 else len(text)]


class Classifier:
    """Scores pastes against one knowledge base; build once, use for many pastes."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._matchers = {entry.id: _matcher(entry) for entry in kb}
        # A pattern is worth running when the first (rarest) literal group it needs is in
        # the text; unanchored patterns always are. Indexing patterns (not entries) by that
        # group keeps the per-paste work to the few patterns a paste can match.
        self._always: list[tuple[str, int]] = []
        self._rules_by_anchor: dict[str, list[tuple[str, int]]] = {}
        self._finder = ahocorasick.Automaton()
        for matcher in self._matchers.values():
            for rule in (*matcher.patterns, *matcher.excludes):
                for anchor in frozenset().union(*rule.anchors):
                    self._finder.add_word(anchor, anchor)
            for index, rule in enumerate(matcher.patterns):
                key = (matcher.entry_id, index)
                if not rule.anchors:
                    self._always.append(key)
                for anchor in rule.anchors[0] if rule.anchors else ():
                    self._rules_by_anchor.setdefault(anchor, []).append(key)
        if len(self._finder):
            self._finder.make_automaton()

    def _found(self, text: str) -> dict[str, int]:
        """Every anchor in ``text``, with where it first occurs."""
        lowered = text.lower()
        if not len(self._finder):
            return {}
        # (anchor, end) pairs, last occurrence first: the dict keeps each anchor's first one.
        ends = dict(map(itemgetter(1, 0), reversed(list(self._finder.iter(lowered)))))
        if len(lowered) != len(text):
            # A few characters lower-case to two: positions in the copy are not the text's.
            return dict.fromkeys(ends, 0)
        return {anchor: end + 1 - len(anchor) for anchor, end in ends.items()}

    def classify(self, text: str, context: Context) -> Classification:
        """Score ``text`` (normalised, masked) with what ``context`` says about it."""
        raw: dict[str, Candidate] = {}
        for entry_id, fired in self._fire(text, context):
            candidate = self._score(self._matchers[entry_id], text, fired, context)
            if candidate is not None:
                raw[entry_id] = candidate
        # A more specific class wins over a general one it overrides, unless its own evidence
        # is much weaker: a faint hint of the specific cause must not bury a clear general one.
        overridden = {
            o for cid, c in raw.items() for o in self._matchers[cid].overrides
            if o in raw and c.confidence >= raw[o].confidence - OVERRIDE_MARGIN
        }
        ranked = sorted(
            (
                _scaled(c, OVERRIDDEN_FACTOR) if c.class_id in overridden else c
                for c in raw.values()
            ),
            key=lambda c: (-c.confidence, -c.unasked, c.class_id),
        )
        return Classification(_penalise_ambiguity(ranked))

    def fired(self, text: str, context: Context) -> dict[str, tuple[Fired, ...]]:
        """Which patterns of which entries match ``text``, exclusions applied (for fitting
        weights: see bench/fit_weights.py)."""
        return {entry_id: fired for entry_id, fired in self._fire(text, context) if fired}

    def _fire(self, text: str, context: Context) -> Iterator[tuple[str, tuple[Fired, ...]]]:
        found = self._found(text)
        # Unasked, a registry-only hint needs the paste to show a registry (an image, a
        # registry host or an OCI error code: a tool name alone is not enough, kubelet and helm
        # report API-server and health-check failures in the same words), and its own line to
        # be about one: a CI log that pulls an image and then fails a database test is not.
        # A package client's paste may instead show its registry on the failing line itself,
        # with the client's wrapper of a registry request (``npm ERR!``, ``Could not transfer
        # artifact``): its words, not the container ones, say so.
        package = context.ecosystem != "oci"
        shows_registry = bool(context.images or context.registry or context.oci_codes)
        hosts = _registry_hosts(context) if shows_registry else ()
        worth = set(self._always)
        for anchor in found:
            worth.update(self._rules_by_anchor.get(anchor, ()))
        fired: dict[str, list[Fired]] = {}
        for entry_id, index in sorted(worth):
            rule = self._matchers[entry_id].patterns[index]
            if rule.operations and context.operation not in rule.operations:
                continue
            if not rule.present(found):
                continue
            match = rule.search(text, found)
            if match is not None:
                line = _line_at(text, match.start())[1] if rule.registry_context else ""
                unasked = not rule.registry_context or (
                    shows_registry and _about_registry(line, hosts)) or (
                    package and _about_package_registry(line))
                fired.setdefault(entry_id, []).append(Fired(index, match.start(), unasked))
        for entry_id, hits in fired.items():
            excludes = self._matchers[entry_id].excludes
            if not any(x.present(found) and x.search(text, found) for x in excludes):
                yield entry_id, tuple(hits)

    @staticmethod
    def _score(matcher: _Matcher, text: str, fired: tuple[Fired, ...],
               context: Context) -> Candidate | None:
        if not fired:
            return None
        miss = miss_unasked = 1.0
        best: tuple[float, int] | None = None
        for hit in fired:
            weight = matcher.patterns[hit.index].weight
            miss *= 1.0 - weight
            if hit.unasked:
                miss_unasked *= 1.0 - weight
            if best is None or weight > best[0]:
                best = (weight, hit.start)
        assert best is not None
        line_start, line = _line_at(text, best[1])
        return Candidate(matcher.entry_id, round(1.0 - miss, 3), line, line_start,
                         round(1.0 - miss_unasked, 3))


def _scaled(candidate: Candidate, factor: float, minus: float = 0.0) -> Candidate:
    return Candidate(
        candidate.class_id,
        round(max(0.0, candidate.confidence * factor - minus), 3),
        candidate.line,
        candidate.line_start,
        round(max(0.0, candidate.unasked * factor - minus), 3),
    )


def _penalise_ambiguity(ranked: list[Candidate]) -> tuple[Candidate, ...]:
    # Two unrelated causes claiming the same line almost equally: say so by being less sure
    # of both, keeping their order.
    if len(ranked) >= 2:
        top, second = ranked[0], ranked[1]
        close = top.confidence - second.confidence < AMBIGUITY_GAP
        if close and top.line_start == second.line_start:
            ranked[0], ranked[1] = (_scaled(c, 1.0, AMBIGUITY_PENALTY) for c in (top, second))
    return tuple(ranked)
