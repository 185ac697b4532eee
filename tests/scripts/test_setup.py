"""The set-up scripts install what each job needs and no more: ``scripts/run`` (running the bot
or the CLI) only the runtime, ``scripts/test`` the test services and dev tools too.

The scripts run for real in a copy of the repository's set-up files, on a machine where no
Debian package is installed yet; ``dpkg-query``, ``apt-get`` and ``sudo`` are stand-ins that
record what they are asked, and so is the virtualenv's ``pip`` (nothing is downloaded).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY_DEBIAN = {"redis-server", "docker-registry", "skopeo", "apache2-utils"}
RECORDER = """#!/bin/sh
echo "$(basename "$0") $*" >> "$RECORD"
"""


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A copy of the set-up files, with recording stand-ins; returns the copy's root."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for name in ("scripts/setup", "scripts/run", "scripts/test", "pyproject.toml",
                 "requirements.lock"):
        shutil.copy2(ROOT / name, repo / name)
    stubs = tmp_path / "bin"
    venv_bin = repo / ".venv" / "bin"
    for directory in (stubs, venv_bin):
        directory.mkdir(parents=True)
    for path in (stubs / "apt-get", venv_bin / "pip", venv_bin / "ruff", venv_bin / "mypy",
                 venv_bin / "pytest", venv_bin / "registry-why"):
        path.write_text(RECORDER)
        path.chmod(0o755)
    (stubs / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")  # nothing installed yet
    (stubs / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (venv_bin / "python").symlink_to(venv_bin / "pip")
    for path in (stubs / "dpkg-query", stubs / "sudo"):
        path.chmod(0o755)
    return repo


def run(repo: Path, *command: str) -> list[str]:
    """Run a script of the copy; the commands the stand-ins were asked to run."""
    record = repo.parent / "record"
    record.write_text("")
    env = {**os.environ, "RECORD": str(record),
           "PATH": f"{repo.parent / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([str(repo / command[0]), *command[1:]], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return record.read_text().splitlines()


def apt_installs(calls: list[str]) -> set[str]:
    return {word for call in calls if call.startswith("apt-get ") and " install " in call
            for word in call.split()[1:] if not word.startswith("-") and word != "install"}


def test_run_installs_only_the_runtime(machine: Path) -> None:
    calls = run(machine, "scripts/run", "--version")
    assert not apt_installs(calls) & TEST_ONLY_DEBIAN
    pips = [call for call in calls if call.startswith("pip ")]
    assert any("--require-hashes" in call and "-r requirements.lock" in call for call in pips)
    assert not any("[dev]" in call for call in pips), pips
    assert calls[-1] == "registry-why --version"


def test_test_installs_the_test_services_and_dev_tools(machine: Path) -> None:
    calls = run(machine, "scripts/test", "-q")
    assert apt_installs(calls) >= TEST_ONLY_DEBIAN
    assert any(call.startswith("pip ") and "[dev]" in call for call in calls)
    assert calls[-3:] == ["ruff check .", "mypy --strict knowledge bot handlers", "pytest -q"]


def test_python_packages_are_installed_once_until_the_requirements_change(
    machine: Path,
) -> None:
    run(machine, "scripts/test")
    calls = run(machine, "scripts/run", "kb", "list")
    assert [call for call in calls if not call.startswith("apt-get ")] == [
        "registry-why kb list"]
    with (machine / "requirements.lock").open("a") as lock:
        lock.write("# changed\n")
    assert any(call.startswith("pip ") for call in run(machine, "scripts/run", "kb", "list"))


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "\n    scripts/test\n" in readme
    assert "\n    SLACK_BOT_TOKEN=xoxb-... SLACK_APP_TOKEN=xapp-... scripts/run\n" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.rstrip().endswith("exec scripts/test")
