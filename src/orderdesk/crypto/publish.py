"""Write the crypto OpenAPI documents to be checked in:

    python -m orderdesk.crypto.publish [docs/openapi]

writes `crypto.json` (partner API) and `ops-crypto.json` (operator API) as `create_app()`
serves them; `tests/crypto/test_openapi_published.py` fails when they drift."""

from __future__ import annotations

import sys
from pathlib import Path

from orderdesk.app import create_app
from orderdesk.crypto.openapi import write_documents
from orderdesk.settings import Settings


def main(argv: list[str]) -> None:
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    for target in write_documents(app, Path(argv[0] if argv else "docs/openapi")):
        print(target)


if __name__ == "__main__":
    main(sys.argv[1:])
