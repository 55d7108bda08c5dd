"""The docs tests start the real `orderdesk serve`, like the end-to-end tests."""

from tests.e2e.conftest import e2e_database_url, serve  # noqa: F401  (fixtures)
