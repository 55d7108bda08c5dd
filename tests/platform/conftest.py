from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from orderdesk.platform.db import Database, open_database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url, pool_size=8, sqlite_synchronous="normal")
    await database.open()
    try:
        yield database
    finally:
        await database.close()
