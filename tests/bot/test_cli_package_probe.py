"""``registry-why explain --probe`` on captured npm output, confirmed against a real Verdaccio.

The captured cases ran against a Verdaccio on another port; each test moves the paste to this
run's Verdaccio (what a person pastes names the registry their client used).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.probe.test_package_probe import package_entry
from tests.bot.test_cli import run
from tests.support.package_registries import RunningVerdaccio
from tests.support.pastes import captured_package_output

pytestmark = pytest.mark.integration


def listing(tmp_path: Path, verdaccio: RunningVerdaccio) -> dict[str, str]:
    """Environment naming a registries file that lists this run's Verdaccio (anonymous)."""
    path = tmp_path / "registries.toml"
    path.write_text(package_entry("npm", verdaccio.url, ca_file=verdaccio.ca_file))
    return {"REGISTRY_WHY_REGISTRIES": str(path)}


def test_a_missing_package_is_confirmed_at_the_pastes_registry(
    verdaccio: RunningVerdaccio, tmp_path: Path
) -> None:
    paste = captured_package_output("npm", "npm_missing_package_install", verdaccio.host)
    done = run("explain", "--probe", "--json", paste, env=listing(tmp_path, verdaccio))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["class"], data["verdict"]) == ("package-not-found", "confirmed")
    probe = data["probe"]
    assert (probe["ecosystem"], probe["package"], probe["registry"]) == (
        "npm", "no-such-lib", verdaccio.url)
    assert probe["outcome"] == "package-not-found"
    assert probe["image"].startswith("npm package no-such-lib at ")
    assert "GET /no-such-lib: 404" in "\n".join(probe["evidence"])
    assert data["verdict_reason"] == probe["verdict_reason"]


def test_a_paste_without_a_registry_url_probes_the_one_listed(
    verdaccio: RunningVerdaccio, tmp_path: Path
) -> None:
    # npm's ETARGET names the package and version, not the registry.
    paste = captured_package_output("npm", "npm_missing_version_install")
    done = run("explain", "--probe", paste, env=listing(tmp_path, verdaccio))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"Probe of npm package demo-lib@9.9.9 at {verdaccio.url} (anonymous, " in "\n".join(
        lines)
    assert "  Outcome from here: package-not-found" in lines
    assert any(line.startswith("  Verdict on package-not-found: CONFIRMED") for line in lines)
    assert "probed the only npm registry configured" in done.stdout


def test_a_package_that_is_there_refutes_the_paste(
    verdaccio: RunningVerdaccio, tmp_path: Path
) -> None:
    # The paste says demo-lib@9.9.9 is missing; asked about 1.0.0, the registry has it.
    paste = captured_package_output("npm", "npm_missing_version_install").replace(
        "9.9.9", "1.0.0")
    data = json.loads(run("explain", "--probe", "--json", paste,
                          env=listing(tmp_path, verdaccio)).stdout)
    assert (data["class"], data["verdict"]) == ("package-not-found", "refuted")
    assert data["probe"]["outcome"] == "ok"


def test_a_paste_naming_an_unlisted_registry_is_not_sent_to_the_listed_one(
    verdaccio: RunningVerdaccio, tmp_path: Path
) -> None:
    # As captured: the paste names a Verdaccio this run did not list (another port).
    paste = captured_package_output("npm", "npm_missing_package_install")
    assert verdaccio.host not in paste
    done = run("explain", "--probe", "--json", paste, env=listing(tmp_path, verdaccio))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["class"] == "package-not-found"
    assert data["verdict"] == "inconclusive"
    assert "not a npm registry this bot may probe" in data["probe"]["refused"]
    assert data["probe"]["registry"] is None

