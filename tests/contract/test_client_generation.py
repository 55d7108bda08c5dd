"""A partner generates a client from each published document with a standard generator
(datamodel-code-generator) without errors, and a small program against the generated models
type-checks (mypy --strict) and runs. The same command is what a partner runs:

    datamodel-codegen --input auto.json --input-file-type openapi \
        --output-model-type pydantic_v2.BaseModel --use-annotated --output models.py"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from orderdesk.openapi_export import DEFAULT_DIR
from tests.contract.apis import APIS, PublishedApi

pytestmark = pytest.mark.slow


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("api", APIS, ids=[api.name for api in APIS])
def test_generated_client_type_checks_and_runs(api: PublishedApi, tmp_path: Path) -> None:
    document = DEFAULT_DIR / api.document.file
    generated = _run(
        sys.executable,
        "-m",
        "datamodel_code_generator",
        "--input",
        str(document),
        "--input-file-type",
        "openapi",
        "--output-model-type",
        "pydantic_v2.BaseModel",
        "--use-annotated",  # constraints as Annotated[...] (mypy cannot read conint(...) annotations)
        "--output",
        "models.py",
        cwd=tmp_path,
    )
    assert generated.returncode == 0, generated.stderr
    (tmp_path / "client.py").write_text(api.client_program)
    typed = _run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", "client.py", cwd=tmp_path)
    assert typed.returncode == 0, typed.stdout + typed.stderr
    program = f"import orjson, client; client.check(orjson.loads(open({str(document)!r}, 'rb').read()))"
    ran = _run(sys.executable, "-c", program, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert orjson.loads(document.read_bytes())["openapi"].startswith("3.1")
