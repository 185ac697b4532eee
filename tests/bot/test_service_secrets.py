"""An image reference alone that holds a secret: answered without reading it back."""

from __future__ import annotations

import pytest

from bot.service import Explained, Service
from bot.settings import Settings
from bot.store import MemoryStore
from tests.support.pastes import GITHUB_TOKEN


@pytest.mark.parametrize(
    "text", [f"ghcr.io/{GITHUB_TOKEN.lower()}/app:1", f"ghcr.io/acme/app:{GITHUB_TOKEN}"])
async def test_a_reference_holding_a_token_is_not_read_back(text: str) -> None:
    service = Service(Settings(redis_prefix="svc", channels={}), MemoryStore())
    answer = await service.answer(text)
    assert isinstance(answer, Explained)  # "not sure", with the notice to rotate the token
    assert answer.diagnosis.redactions
    assert GITHUB_TOKEN.lower() not in repr(answer).lower()
