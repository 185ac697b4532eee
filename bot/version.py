"""This installation's version: ``registry-why --version`` and the ``registry_why_build_info``
metric say which release is running."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("registry-why")
except PackageNotFoundError:
    # Imported from a source tree that was never installed: no version is recorded anywhere.
    VERSION = "unknown"
