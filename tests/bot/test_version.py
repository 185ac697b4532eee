"""``registry-why --version`` says which release is installed: the version in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_the_released_one() -> None:
    with open(ROOT / "pyproject.toml", "rb") as file:
        released = tomllib.load(file)["project"]["version"]
    # The installed console script, as a user runs it.
    script = Path(sys.executable).parent / "registry-why"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, f"registry-why {released}\n", "")
