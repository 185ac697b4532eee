"""requirements.lock pins every runtime dependency with hashes, and is what the image and the
set-up install; the wheel's package-data names only files that exist, and every data file."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES = ("bot", "handlers", "knowledge")


def locked() -> dict[str, tuple[str, list[str]]]:
    """Name -> (version, hashes) of every requirement in the lock."""
    entries: dict[str, tuple[str, list[str]]] = {}
    text = LOCK.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, *options = line.split(" --")
        name, equals, version = spec.strip().partition("==")
        assert equals, f"not pinned with ==: {line!r}"
        hashes = [o.strip().removeprefix("hash=sha256:") for o in options
                  if o.startswith("hash=")]
        entries[canonicalize_name(name)] = (version.strip(), hashes)
    return entries


def test_every_locked_package_is_pinned_with_hashes() -> None:
    entries = locked()
    assert len(entries) >= len(PYPROJECT["project"]["dependencies"])
    for name, (_, hashes) in entries.items():
        assert hashes, f"{name} has no hash"
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_every_runtime_dependency_is_locked_within_its_range() -> None:
    entries = locked()
    for text in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{name} is in pyproject.toml but not in requirements.lock"
        assert requirement.specifier.contains(entries[name][0], prereleases=True), (
            f"{name}=={entries[name][0]} is outside {requirement.specifier}: run pip-compile")


def test_the_lock_is_complete_and_installed_here() -> None:
    # The image installs it with --no-deps: whatever a locked package needs must be locked
    # too. And the tests run against exactly the locked versions.
    entries = locked()
    for name, (version, _) in entries.items():
        try:
            installed = distribution(name)
        except PackageNotFoundError:
            raise AssertionError(f"{name} is locked but not installed: run scripts/setup") \
                from None
        assert installed.version == version, f"{name}: installed {installed.version}"
        for text in installed.requires or []:
            needed = Requirement(text)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                assert canonicalize_name(needed.name) in entries, (
                    f"{name} needs {needed.name}, which is not locked")


def package_data() -> list[tuple[str, str]]:
    return [(package, pattern) for package, patterns in
            PYPROJECT["tool"]["setuptools"]["package-data"].items() for pattern in patterns]


def test_package_data_names_only_files_that_exist() -> None:
    for package, pattern in package_data():
        assert list((ROOT / package).glob(pattern)), f"{package}: {pattern} matches no file"


def test_every_data_file_of_the_packages_is_shipped() -> None:
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc"):
                continue
            relative = path.relative_to(ROOT)
            owner, inner = relative.parts[0], "/".join(relative.parts[1:])
            assert any(owner == package_name and fnmatch.fnmatch(inner, pattern)
                       for package_name, pattern in package_data()), (
                f"{relative} is not in [tool.setuptools.package-data]: the wheel would lack it")
