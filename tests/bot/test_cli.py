"""The registry-why command line, run as a person or a CI job would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.loader import knowledge_base

CLI = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).parents[2]

NO_CREDS = (
    'Error response from daemon: Head "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com'
    '/v2/team/api/manifests/2.3.1": no basic auth credentials'
)
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, cwd=ROOT, timeout=60, check=False,
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
    assert "docker login 123456789012.dkr.ecr.eu-west-1.amazonaws.com" in result.stdout
    assert "aws ecr get-login-password" in result.stdout  # the ECR note


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
    assert "error" in out[1]
    assert "error" in out[2]
    assert "error" in out[3]
    assert out[4] == {"id": "b", "class": None, "confidence": 0.0}


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
