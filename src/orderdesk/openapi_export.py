"""Write the published OpenAPI documents to docs/openapi/ (or check that they are current).

    python -m orderdesk.openapi_export [--check] [--dir docs/openapi]

Each document is fetched from the application as a partner would (GET on its URL) and written
in its canonical form (sorted keys, two-space indent), so the files are byte-identical across
runs and a diff shows exactly what changed in the contract."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from orderdesk.platform.openapi import render


@dataclass(frozen=True)
class Document:
    file: str  # under docs/openapi/
    url: str  # where the application serves it
    docs: str  # its Swagger UI page


# A product publishing a document adds one entry here; the contract tests read this list.
DOCUMENTS: tuple[Document, ...] = (
    Document("auto.json", "/auto/v1/openapi.json", "/auto/docs"),
    Document("ops-auto.json", "/ops/v1/auto/docs/openapi.json", "/ops/v1/auto/docs"),
    Document("crypto.json", "/crypto/v1/openapi.json", "/crypto/docs"),
    Document("ops-crypto.json", "/ops/v1/openapi.json", "/ops/v1/docs"),
)
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "docs" / "openapi"


async def fetch_all(documents: tuple[Document, ...] = DOCUMENTS) -> dict[str, bytes]:
    """Each document's canonical bytes, by file name, from a fresh application."""
    from orderdesk.app import create_app
    from orderdesk.settings import Settings

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    rendered = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://orderdesk") as client:
        for document in documents:
            response = await client.get(document.url)
            response.raise_for_status()
            rendered[document.file] = render(orjson.loads(response.content))
    return rendered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a checked-in document differs")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, content in asyncio.run(fetch_all()).items():
        path = args.dir / name
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        print(f"wrote {path}")
    if stale:
        print("out of date (run `make openapi`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
