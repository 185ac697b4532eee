"""The registry-why command line, run as a person or a CI job would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.loader import knowledge_base
from tests.support.registry import Registries, RunningRegistry, skopeo

CLI = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).parents[2]

NO_CREDS = (
    'Error response from daemon: Head "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com'
    '/v2/team/api/manifests/2.3.1": no basic auth credentials'
)
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def run(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, cwd=ROOT, timeout=60, check=False,
        env={**os.environ, **(env or {})},
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode,
        completed.stdout.decode(), completed.stderr.decode(),
    )


def test_explain_json_has_the_documented_fields() -> None:
    result = run("explain", "--json", NO_CREDS)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["class"] == "no-basic-auth-credentials"
    assert data["confidence"] >= 0.8
    assert data["title"] == knowledge_base()["no-basic-auth-credentials"].title
    assert data["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:2.3.1"
    assert data["registry"] == {
        "host": "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "family": "ecr",
    }
    assert data["tool"] == "docker"
    assert data["redacted"] == []
    assert isinstance(data["alternatives"], list)


def test_explain_reads_stdin_and_fills_the_guide_for_a_person() -> None:
    result = run("explain", stdin=NO_CREDS.encode())
    assert result.returncode == 0, result.stderr
    ecr_login = ("$ aws ecr get-login-password --region eu-west-1 | docker login --username AWS"
                 " --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com")
    assert ecr_login in result.stdout.splitlines()  # the ECR fix, with the paste's region
    assert "$ docker pull 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:2.3.1" in (
        result.stdout.splitlines())


def test_explain_is_short_and_full_is_one_flag_away() -> None:
    short = run("explain", NO_CREDS).stdout
    full = run("explain", "--full", NO_CREDS).stdout
    assert len(short.split()) <= 180
    assert "--full" in short
    assert "Why" not in short
    assert "Don't" in short
    assert len(full.split()) > len(short.split())
    assert "3. Apply the safe fix" in full
    for output in (short, full):
        commands = [line for line in output.splitlines() if "docker pull" in line]
        assert commands
        assert all(line.startswith("$ ") for line in commands)


def test_explain_json_adds_the_short_answer() -> None:
    data = json.loads(run("explain", "--json", NO_CREDS).stdout)
    assert data["guide"]["fix"]  # the full guide's fields stay
    short = data["short"]
    assert short["confirm"]["commands"]
    assert "aws ecr get-login-password --region eu-west-1" in short["fix"][0]["commands"][0]
    assert short["verify"]["commands"] == [
        "docker pull 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:2.3.1"]
    assert 1 <= len(short["dont"]) <= 2


def test_explain_says_not_sure_for_chat_and_exits_1() -> None:
    result = run("explain", "lunch at noon? the registry meeting moved to 3pm")
    assert result.returncode == 1
    assert "Not sure" in result.stdout
    assert json.loads(run("explain", "--json", "hello team").stdout)["class"] is None


def test_a_pasted_secret_is_masked_everywhere_and_named() -> None:
    paste = f"$ echo {GITHUB_TOKEN} | docker login ghcr.io -u me --password-stdin\n{NO_CREDS}"
    for args in (("explain",), ("explain", "--json")):
        result = run(*args, stdin=paste.encode())
        assert GITHUB_TOKEN not in result.stdout + result.stderr
    data = json.loads(run("explain", "--json", stdin=paste.encode()).stdout)
    assert "github-token" in data["redacted"]
    assert "rotate" in run("explain", stdin=paste.encode()).stdout


def test_an_image_reference_alone_says_where_it_lives_and_how_to_check() -> None:
    result = run("explain", "ghcr.io/acme/app:1.2")
    assert result.returncode == 0, result.stderr
    assert "GitHub Container Registry" in result.stdout
    assert "skopeo inspect --raw docker://ghcr.io/acme/app:1.2" in result.stdout
    assert "registry-why probe ghcr.io/acme/app:1.2" in result.stdout


def test_binary_junk_gets_an_answer_not_a_traceback() -> None:
    result = run("explain", stdin=bytes(range(256)) * 64)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_classify_jsonl_answers_every_line_in_order() -> None:
    lines = [
        json.dumps({"id": "a", "text": NO_CREDS}),
        "this is not json",
        json.dumps({"id": 7}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "b", "text": "see you tomorrow"}),
    ]
    result = run("classify", "--jsonl", stdin="\n".join(lines).encode())
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, 7, None, "b"]
    assert out[0]["class"] == "no-basic-auth-credentials"
    assert out[0]["answer_unasked"] is True
    assert "error" in out[1]
    assert "error" in out[2]
    assert "error" in out[3]
    assert out[4] == {"id": "b", "class": None, "confidence": 0.0, "answer_unasked": False}


def test_classify_jsonl_reports_the_asked_reading_and_whether_to_answer_unasked() -> None:
    bare = json.dumps({"id": 1, "text": "x509: certificate signed by unknown authority"})
    result = run("classify", "--jsonl", stdin=bare.encode(),
                 env={"REGISTRY_WHY_CONFIDENCE": "0.5"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["class"] == "tls-unknown-authority"
    assert out["confidence"] > 0.5
    assert out["answer_unasked"] is False


def test_kb_check_validates_an_edited_entry(tmp_path: Path) -> None:
    entries = ROOT / "knowledge" / "entries"
    assert run("kb", "check").returncode == 0
    good = tmp_path / "auth-required.toml"
    good.write_text((entries / "auth-required.toml").read_text())
    checked = run("kb", "check", str(good))
    assert checked.returncode == 0, checked.stdout
    assert f"ok: {good}" in checked.stdout
    typo = tmp_path / "manifest-unknown.toml"
    typo.write_text((entries / "manifest-unknown.toml").read_text().replace("{host}", "{hots}"))
    failed = run("kb", "check", str(good), str(typo))
    assert failed.returncode == 3
    assert "manifest-unknown.toml" in failed.stdout
    assert "{hots}" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr


def test_kb_list_stats_without_redis_says_so() -> None:
    listed = run("kb", "list", "--stats", env={"REDIS_URL": ""})
    assert listed.returncode == 0, listed.stderr
    assert "REDIS_URL is not set" in listed.stdout


def test_kb_list_and_show() -> None:
    listed = run("kb", "list").stdout.splitlines()
    assert len(listed) == len(knowledge_base())
    shown = json.loads(run("kb", "show", "no-basic-auth-credentials").stdout)
    assert shown["id"] == "no-basic-auth-credentials"
    missing = run("kb", "show", "no-such-class")
    assert missing.returncode == 2
    assert "kb list" in missing.stderr


@pytest.mark.parametrize("args", [("frobnicate",), ("classify",), ("kb",)])
def test_bad_usage_exits_2_with_a_message(args: tuple[str, ...]) -> None:
    result = run(*args, stdin=b"")
    assert result.returncode == 2
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr


# --- the probe, against real registries on loopback ------------------------------------------


def registries_file(tmp_path: Path, *registries: RunningRegistry) -> dict[str, str]:
    """Environment naming a registries file that lists ``registries`` (loopback allowed)."""
    tables = [
        f'[[registry]]\nhost = "{r.host}"\nscheme = "{r.scheme}"\nallow_private = true\n'
        + (f'ca_file = "{r.ca_file}"\n' if r.ca_file else "")
        for r in registries
    ]
    path = tmp_path / "registries.toml"
    path.write_text("\n".join(tables))
    return {"REGISTRY_WHY_REGISTRIES": str(path)}


@pytest.mark.integration
def test_probe_json_of_a_pullable_image(registry: Registries, tmp_path: Path) -> None:
    env = registries_file(tmp_path, registry.plain)
    result = run("probe", "--json", registry.plain.image(), env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["image"] == registry.plain.image()
    assert data["host"] == registry.plain.host
    assert data["outcome"] == "ok"
    assert isinstance(data["evidence"], list)
    assert isinstance(data["elapsed_ms"], int)


@pytest.mark.integration
def test_probe_names_a_missing_credential(registry: Registries, tmp_path: Path) -> None:
    env = registries_file(tmp_path, registry.basic)
    data = json.loads(run("probe", "--json", registry.basic.image(), env=env).stdout)
    assert data["outcome"] == "auth-required"


@pytest.mark.parametrize("image", ["169.254.169.254/latest/meta-data:v1", "127.0.0.1:1/x:y"])
def test_probe_of_a_blocked_or_unlisted_host_is_refused(image: str) -> None:
    result = run("probe", "--json", image)
    assert result.returncode == 4
    assert json.loads(result.stdout)["refused"]


@pytest.mark.integration
def test_explain_probe_confirms_a_matching_paste(registry: Registries, tmp_path: Path) -> None:
    env = registries_file(tmp_path, registry.plain)
    missing = registry.plain.image("demo/hello:no-such-tag")
    paste = skopeo("inspect", "--tls-verify=false", f"docker://{missing}").stderr
    data = json.loads(run("explain", "--probe", "--json", stdin=paste.encode(), env=env).stdout)
    assert (data["class"], data["verdict"]) == ("manifest-unknown", "confirmed")
    assert data["probe"]["outcome"] == "manifest-unknown"


@pytest.mark.integration
def test_explain_probe_refutes_a_mismatched_paste(registry: Registries, tmp_path: Path) -> None:
    # The paste says "authentication required", but the registry serves the image to anyone.
    env = registries_file(tmp_path, registry.plain)
    paste = (
        f'Error response from daemon: Head "http://{registry.plain.host}/v2/demo/hello/manifests/'
        'v1": unauthorized: authentication required'
    )
    data = json.loads(run("explain", "--probe", "--json", paste, env=env).stdout)
    assert (data["class"], data["verdict"]) == ("auth-required", "refuted")
    assert data["verdict_reason"]


def test_explain_probe_without_an_image_says_so() -> None:
    data = json.loads(run("explain", "--probe", "--json", "no basic auth credentials").stdout)
    assert data["verdict"] is None
    assert "names no image" in data["verdict_reason"]
