"""The shape of the house (docs/architecture.md), held by tests: no import circles, no import
that climbs a floor, one module that talks to Redis, handlers that never reach into the
knowledge core, and at most two exception roots."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import knowledge

ROOT = Path(__file__).parents[1]
PACKAGES = ("knowledge", "bot", "handlers")

FLOORS: tuple[tuple[str, ...], ...] = (
    ("knowledge",),
    ("bot.errors", "bot.backoff", "bot.version", "bot.slack.ids", "bot.slack.payloads"),
    ("bot.store",),
    ("bot.probe",),
    ("bot.settings", "bot.metrics", "bot.observe", "bot.logs", "bot.stats"),
    ("bot.render", "bot.probe_requests", "bot.incidents", "bot.service", "bot.slack.delivery",
     "bot.kb_admin", "bot.healthcheck"),
    ("bot.slack.in_flight",),
    ("handlers",),
    ("bot.slack.app", "bot.slack.server"),
    ("bot.cli",),
)
"""Each module's floor, lowest first (the longest matching prefix decides): a module imports
only from its own floor or below."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run: those under ``if TYPE_CHECKING:`` only name types."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            skip.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skip:
            yield node


@cache
def imports() -> dict[str, frozenset[str]]:
    """Each project module and the project modules (or outside top-level packages) it imports."""
    found: dict[str, frozenset[str]] = {}
    for name, path in modules().items():
        targets: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names
                           if f"{base}.{alias.name}" in modules())
        found[name] = frozenset(targets)
    return found


def project_edges() -> dict[str, set[str]]:
    return {name: {t for t in targets if t in modules() and t != name}
            for name, targets in imports().items()}


def floor(module: str) -> int:
    if module == "bot":  # the package itself: a docstring, imported on the way to any module
        return 1
    best, found = -1, -1
    for level, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), level
    assert found >= 0, f"{module} has no floor in FLOORS: add it"
    return found


def test_there_are_no_import_circles() -> None:
    edges = project_edges()
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert circles == []


def test_no_import_climbs_a_floor() -> None:
    climbs = sorted(f"{a} -> {b}" for a, targets in project_edges().items() for b in targets
                    if floor(b) > floor(a))
    assert climbs == []


def test_exactly_one_module_talks_to_redis() -> None:
    users = sorted(name for name, targets in imports().items()
                   if any(t == "redis" or t.startswith("redis.") for t in targets))
    assert users == ["bot.store.redis_store"]


def test_handlers_never_import_the_knowledge_core() -> None:
    reaching = sorted(f"{a} -> {b}" for a, targets in imports().items() if a.startswith("handlers")
                      for b in targets if b == "knowledge" or b.startswith("knowledge."))
    assert reaching == []


def test_only_the_app_factory_imports_handlers() -> None:
    importers = sorted(a for a, targets in imports().items() if not a.startswith("handlers")
                       and any(t == "handlers" or t.startswith("handlers.") for t in targets))
    assert importers == ["bot.slack.app"]


def test_front_ends_use_only_the_public_face_of_knowledge() -> None:
    inner = sorted(
        f"{name} -> {node.module}" for name, path in modules().items()
        if not name.startswith("knowledge")
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("knowledge."))
    assert inner == []


def test_the_knowledge_core_reaches_no_network_and_no_runtime() -> None:
    outside = {"bot", "handlers", "redis", "httpx", "slack_bolt", "slack_sdk", "aiohttp",
               "socket", "urllib.request", "os"}
    reaching = sorted(f"{a} -> {b}" for a, targets in imports().items()
                      if a.startswith("knowledge") for b in targets
                      if b in outside or b.split(".")[0] in outside - {"os", "socket"})
    assert reaching == []


def test_every_public_name_of_knowledge_exists_and_is_listed_once() -> None:
    assert len(knowledge.__all__) == len(set(knowledge.__all__))
    assert sorted(knowledge.__all__, key=str.casefold) == sorted(
        (name for name in vars(knowledge) if not name.startswith("_")
         and not inspect.ismodule(getattr(knowledge, name))), key=str.casefold)


def _project_exceptions() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (inspect.isclass(value) and issubclass(value, BaseException)
                        and value.__module__.split(".")[0] in PACKAGES):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_there_are_at_most_two_exception_roots() -> None:
    exceptions = _project_exceptions()
    roots = sorted(f"{e.__module__}.{e.__qualname__}" for e in exceptions
                   if not any(base in exceptions for base in e.__bases__))
    assert roots == ["bot.errors.RegistryWhyError", "knowledge.errors.KnowledgeError"]
