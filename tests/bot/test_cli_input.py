"""The CLI reads at most the documented limit (knowledge.diagnosis.MAX_CHARS), cut before
masking, from the end of the input: that is where a failing log shows its error."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from bot.cli import MAX_INPUT_BYTES, _read_text
from knowledge.diagnosis import MAX_CHARS

ROOT = Path(__file__).parents[2]
ERROR = (
    'Error response from daemon: Head "https://ghcr.io/v2/acme/api/manifests/1.4": '
    "unauthorized: authentication required\n"
)
LOG_LINE = "2024-05-01T10:11:13.0000000Z #12 0.512 Collecting httpx==0.28.1\n"
SECRET = "Pw" + "9fK2mQ7xL4vR8tZ"


class _Pipe(io.BytesIO):
    def isatty(self) -> bool:
        return False


def test_a_long_input_is_cut_to_the_limit_at_a_line_start() -> None:
    text = LOG_LINE * (2 * MAX_CHARS // len(LOG_LINE)) + ERROR
    read = _read_text(None, _Pipe(text.encode()))
    assert len(read) <= MAX_CHARS
    assert read.endswith(ERROR)
    assert read.startswith(LOG_LINE)


def test_the_tail_of_a_stream_longer_than_the_read_limit_is_kept() -> None:
    filler = LOG_LINE * (MAX_INPUT_BYTES // len(LOG_LINE) + 10_000)
    read = _read_text(None, _Pipe((filler + ERROR).encode()))
    assert read.endswith(ERROR)
    assert len(read) <= MAX_CHARS


def test_an_argument_is_cut_like_stdin() -> None:
    text = LOG_LINE * (MAX_CHARS // len(LOG_LINE) + 100) + ERROR
    read = _read_text(text, _Pipe(b""))
    assert len(read) <= MAX_CHARS
    assert read.endswith(ERROR)


def test_a_secret_the_cut_falls_in_leaves_no_tail_behind() -> None:
    head = LOG_LINE * 100 + f"docker login -u ci -p {SECRET} ghcr.io\n"
    # Size the rest so that the cut falls 8 characters into the password.
    needed = MAX_CHARS + head.index(SECRET) + 8 - len(head) - len(ERROR)
    lines = needed // len(LOG_LINE) - 1
    pad = needed - lines * len(LOG_LINE)
    text = head + "#" * (pad - 1) + "\n" + LOG_LINE * lines + ERROR
    assert len(text) - MAX_CHARS == head.index(SECRET) + 8
    read = _read_text(None, _Pipe(text.encode()))
    assert SECRET[8:] not in read
    assert read.endswith(ERROR)


def test_a_huge_paste_through_the_cli_names_the_error_and_echoes_no_secret() -> None:
    line = f"docker login -u ci -p {SECRET} ghcr.io\n"
    text = (line + LOG_LINE * 40) * (3 * MAX_CHARS // (len(line) + 40 * len(LOG_LINE))) + ERROR
    completed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "explain"], input=text.encode(), capture_output=True,
        cwd=ROOT, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout.decode()
    assert SECRET not in out
    assert "rotate" in out.lower()
