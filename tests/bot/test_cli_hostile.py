"""The command line given hostile input: credentials typed as arguments are never printed back,
in output or in an error, and one bad line of JSON does not stop a batch."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bot.cli import EXIT_OK, EXIT_USAGE, build_parser, cmd_classify, main
from tests.bot.test_cli import GITHUB_TOKEN, NO_CREDS, run

PASSWORD = "Zq8hunter2Wv5Kp"


def strict_json(line: str) -> Any:
    """``line`` read as strict JSON: NaN and Infinity refused, as other readers refuse them."""
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in the output: not JSON")
    return json.loads(line, parse_constant=refuse)


def test_a_credential_typed_into_probe_is_refused_masked_and_named() -> None:
    # Through the real entry point, as typed in a shell.
    result = run("probe", f"https://bob:{GITHUB_TOKEN}@ghcr.io/a/b:1")
    assert result.returncode == EXIT_USAGE
    assert GITHUB_TOKEN not in result.stdout + result.stderr
    assert "[REDACTED github-token]" in result.stderr
    assert "rotate it" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("argv", "secret"),
    [
        pytest.param(["probe", f"https://bob:{PASSWORD}@ghcr.io/a/b:1"], PASSWORD,
                     id="probe-password-in-url"),
        pytest.param(["probe", f"bob:{PASSWORD}@ghcr.io/a/b:1"], PASSWORD,
                     id="probe-user-password-no-scheme"),
        pytest.param(["probe", f"ghcr.io/a/b:{GITHUB_TOKEN}"], GITHUB_TOKEN,
                     id="probe-token-as-tag"),
        pytest.param(["probe", "--json", f"ghcr.io/a/b:{GITHUB_TOKEN}"], GITHUB_TOKEN,
                     id="probe-json"),
        pytest.param(["probe", "ghcr.io/a/b:1", f"--password={PASSWORD}"], PASSWORD,
                     id="unrecognized-argument"),
        pytest.param(["explain", "--pasword", f"password={PASSWORD}"], PASSWORD,
                     id="misspelt-option"),
        pytest.param(["kb", "show", f"password={PASSWORD}"], PASSWORD, id="kb-show-unknown-id"),
        pytest.param(["explain", f"ghcr.io/a/b:{GITHUB_TOKEN}"], GITHUB_TOKEN,
                     id="explain-a-reference-holding-a-token"),
        pytest.param(["explain", "--json", f"docker login -p {PASSWORD} ghcr.io"], PASSWORD,
                     id="explain-json"),
    ],
)
def test_no_command_prints_a_typed_credential(
    argv: list[str], secret: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code: object = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code in (EXIT_OK, 1, EXIT_USAGE)  # answered, "not sure", or refused: never a crash
    out, err = capsys.readouterr()
    assert secret not in out + err
    assert out + err  # something was said: the argument was not silently dropped


def test_a_masked_argument_is_never_probed(capsys: pytest.CaptureFixture[str]) -> None:
    # Probing with the token masked out would ask about another image than the one typed.
    assert main(["probe", f"ghcr.io/a/b:{GITHUB_TOKEN}"]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert "a GitHub token" in err


def classify(lines: list[str]) -> list[Any]:
    out = io.StringIO()
    args = build_parser().parse_args(["classify", "--jsonl"])
    assert cmd_classify(args, io.BytesIO("\n".join(lines).encode()), out) == EXIT_OK
    return [strict_json(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("[" * 3000, id="nested-3000-deep"),
        pytest.param('{"id": ' + "[" * 3000, id="nested-inside-an-object"),
        pytest.param('{"id": ' + "9" * 5000 + ', "text": "x"}', id="id-of-5000-digits"),
        pytest.param('{"id": NaN, "text": "x"}', id="nan-id"),
        pytest.param('{"id": -Infinity, "text": "x"}', id="infinity-id"),
        pytest.param('{"id": 1e999, "text": "x"}', id="id-overflowing-to-infinity"),
        pytest.param('{"id": "a", "text": "x", "extra": NaN}', id="nan-elsewhere"),
        pytest.param('{"id": ' + "[" * 900 + "]" * 900 + ', "text": "x"}',
                     id="deep-id-python-reads"),
    ],
)
def test_a_bad_line_gets_an_error_line_and_the_run_goes_on(line: str) -> None:
    good = json.dumps({"id": "after", "text": NO_CREDS})
    bad, after = classify([line, good])
    assert set(bad) == {"id", "error"}
    assert bad["id"] is None
    assert after == {"id": "after", "class": "no-basic-auth-credentials",
                     "confidence": after["confidence"], "answer_unasked": True}


def test_ids_are_echoed_back_masked() -> None:
    [answer] = classify([json.dumps({"id": f"token={GITHUB_TOKEN}", "text": NO_CREDS})])
    assert answer["id"] == "token=[REDACTED github-token]"
    [numbered] = classify([json.dumps({"id": 12345678901234567890, "text": NO_CREDS})])
    assert numbered["id"] == 12345678901234567890


def test_a_whole_hostile_batch_through_the_real_command() -> None:
    lines = ["[" * 3000, '{"id": ' + "9" * 5000 + ', "text": "x"}', '{"id": NaN, "text": "x"}',
             json.dumps({"id": "last", "text": NO_CREDS})]
    result = run("classify", "--jsonl", stdin="\n".join(lines).encode())
    assert result.returncode == EXIT_OK, result.stderr
    out = [strict_json(line) for line in result.stdout.splitlines()]
    assert [("error" in o, o["id"]) for o in out] == [
        (True, None), (True, None), (True, None), (False, "last")]
    assert result.stderr == ""
