"""Every command in docs/ runs as written after the README's set-up (``scripts/run`` or
``scripts/test``), in a fresh shell: its program exists, and the registry-why commands answer
``--help``. A fresh shell has no virtualenv on its PATH, so a bare ``registry-why`` would fail.

Commands are the lines of ``sh``/``console`` code blocks, and inline code in the prose that
starts with one of the project's own programs (``scripts/...``, ``.venv/bin/...``,
``registry-why``). Programs the reader brings for deploying (Docker, kubectl, ...) are listed in
``READER_TOOLS``; anything else must be a shell builtin or installed by the set-up.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
SHELL_BLOCK = re.compile(r"^ *```(?:sh|bash|shell|console)\n(.*?)^ *```",
                         re.MULTILINE | re.DOTALL)
ANY_BLOCK = re.compile(r"^ *```.*?^ *```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")
PROJECT_PROGRAM = re.compile(r"^(?:scripts/|\.venv/bin/|registry-why )")
READER_TOOLS = frozenset({"docker", "kubectl", "kustomize", "curl", "jq"})
"""Tools docs/deploy.md uses for building and running the image; the set-up does not install
them, and registry-why does not need them to run."""
BUILTINS = frozenset({"cd", "export", "source", "."})


def commands(text: str) -> list[str]:
    """The command lines of one Markdown page: continuation lines and quotes spanning lines
    joined, comments dropped."""
    found: list[str] = []
    for block in SHELL_BLOCK.findall(text):
        pending = ""
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            if not pending:
                # A comment starts at "#" after a space; "#" inside a word (a URL) stays.
                line = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
            pending = f"{pending}\n{line}" if pending else line
            try:
                shlex.split(pending)
            except ValueError:  # a quote still open: the command goes on
                continue
            if pending:
                found.append(pending)
            pending = ""
        assert not pending, f"unterminated command in a code block: {pending!r}"
    prose = ANY_BLOCK.sub("", text)
    found += [span for span in INLINE.findall(prose) if PROJECT_PROGRAM.match(span)]
    return found


def programs(command: str) -> list[list[str]]:
    """The simple commands of a command line (split at pipes, ``&&``, ``;``, ``&``), each
    without leading ``NAME=value`` assignments."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    parts: list[list[str]] = [[]]
    for token in lexer:
        if token in ("|", "||", "&&", ";", "&"):
            parts.append([])
        else:
            parts[-1].append(token)
    simple = []
    for words in parts:
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]
        if "<" in words:
            words = words[:words.index("<")]
        if words:
            simple.append(words)
    return simple


def fresh_shell_path() -> str:
    """PATH as a new login would have it: without this test run's virtualenv."""
    venv_bin = str(Path(sys.prefix) / "bin")
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and Path(p).resolve() != Path(venv_bin).resolve())


DOC_COMMANDS = [(doc.name, command) for doc in DOCS for command in commands(doc.read_text())]
SIMPLE = [(doc, words) for doc, command in DOC_COMMANDS for words in programs(command)]


def test_the_docs_have_commands_to_check() -> None:
    # The extraction is worth something only if it finds the commands the pages are about.
    found = {" ".join(words) for _, words in SIMPLE}
    assert "scripts/run serve" in found
    assert {"serve", "explain", "kb", "probe"} <= set(RUN_COMMANDS)
    assert any(words[0] == "kubectl" for _, words in SIMPLE)
    assert len(SIMPLE) > 20


def test_extraction_finds_a_bare_registry_why() -> None:
    page = ("Run `registry-why kb list`; see the `/registry-why` command.\n\n```sh\n"
            "export A=b  # note\nA=1 registry-why serve | jq .x\n```\n")
    assert [words[0] for c in commands(page) for words in programs(c)] == [
        "export", "registry-why", "jq", "registry-why"]


@pytest.mark.parametrize(("doc", "words"), SIMPLE, ids=[f"{d}:{' '.join(w)}" for d, w in SIMPLE])
def test_every_program_exists_after_set_up(doc: str, words: list[str]) -> None:
    program = words[0]
    if program in BUILTINS or program in READER_TOOLS:
        return
    if "/" in program:
        path = ROOT / program
        assert path.is_file(), f"{doc}: {program} does not exist in the repository"
        assert os.access(path, os.X_OK), f"{doc}: {program} is not executable"
        return
    assert shutil.which(program, path=fresh_shell_path()) is not None, (
        f"{doc}: `{' '.join(words)}`: {program} is not on a fresh shell's PATH after the set-up"
        " (use scripts/run for registry-why commands)")


RUN_COMMANDS = sorted({words[1] for _, words in SIMPLE
                       if words[0] == "scripts/run" and len(words) > 1})
"""The registry-why commands the docs run through scripts/run (``serve``, ``explain``...)."""


@pytest.mark.parametrize("subcommand", RUN_COMMANDS)
def test_scripts_run_commands_answer_help(subcommand: str) -> None:
    result = subprocess.run([str(ROOT / "scripts" / "run"), subcommand, "--help"],
                            capture_output=True, text=True, timeout=300, check=False,
                            env={**os.environ, "PATH": fresh_shell_path()})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"usage: registry-why {subcommand}")
