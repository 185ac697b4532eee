"""Knowledge-base chores for its owners at the command line: check edited entry files, and
read each cause's fix rate from the bot's Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import IO

from bot.settings import SettingsError, load_settings
from bot.stats import FixRate, Stats
from bot.store import Keys, RedisStore, StoreUnavailable
from knowledge import (
    ENTRIES_DIR,
    KnowledgeBaseError,
    image_access,
    load_entry,
    load_knowledge_base,
)


def kb_check(files: list[str], out: IO[str]) -> int:
    """Validate entry files (every packaged one when ``files`` is empty): schema, patterns,
    placeholders, and the ids they name. Returns 0 when all are valid, 3 otherwise."""
    problems: list[str] = []
    if not files:
        try:
            kb = load_knowledge_base()
            image_access()
        except KnowledgeBaseError as exc:
            problems.append(str(exc))
        else:
            out.write(f"ok: {len(kb)} entries in {ENTRIES_DIR}\n")
    for name in files:
        path = Path(name)
        try:
            entry = load_entry(path)
        except KnowledgeBaseError as exc:
            problems.append(str(exc))
            continue
        known = {p.stem for p in ENTRIES_DIR.glob("*.toml")} | {Path(f).stem for f in files}
        missing = [cid for cid in (*entry.match.overrides, *(la.id for la in entry.look_alikes))
                   if cid not in known]
        if missing:
            problems.append(f"{path.name}: names no known entry: {', '.join(missing)}")
        else:
            out.write(f"ok: {path}\n")
    for problem in problems:
        out.write(f"error: {problem}\n")
    return 3 if problems else 0


def fix_rates_from_settings() -> dict[str, FixRate] | None:
    """Each cause's fix rate from the Redis in ``REDIS_URL``, or None when none is set."""
    settings = load_settings()
    if settings.redis_url is None:
        return None
    keys = Keys(settings.redis_prefix)
    url = settings.redis_url.get_secret_value()

    async def read() -> dict[str, FixRate]:
        store = RedisStore(url, ready_key=keys.ready())
        try:
            return (await Stats(store, keys).read()).fix_rates
        finally:
            await store.aclose()

    try:
        return asyncio.run(read())
    except StoreUnavailable as exc:
        raise SettingsError(f"cannot read fix rates from Redis: {exc}") from None
