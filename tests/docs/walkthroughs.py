"""Reading and running the documentation's shell blocks.

Conventions (docs/README.md repeats them for writers):
- A fenced block whose info string is `sh` runs as written. The blocks of one document run in
  order in one `bash` session (`set -eo pipefail`), from a directory where `.venv` is the
  project's environment, as a reader pasting them at the repository's root would.
- A fenced block whose info string is `output` is what the `sh` block just before it prints
  (stdout and stderr). An `sh` block with no `output` block must print nothing.
- In an `output` block `<…>` (a word in angle brackets, e.g. `<order id>`, `<port>`) stands for
  one value that differs between runs, and `…` for any text; everything else must match.
- `http://127.0.0.1:8000`, the address `make run` serves, is replaced by the test server's
  address in the commands and in the expected output.
Other blocks (`text`, `python`, `json`, …) are reference material and are not run.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BASE = "http://127.0.0.1:8000"
_FENCE = re.compile(r"^```(\S*)\s*$")
_PLACEHOLDER = re.compile(r"<[^<>\s][^<>]*>|…")
_MARKER = "@@orderdesk-docs-block@@"


@dataclass
class Block:
    line: int  # where the block starts in its document (1-based), for messages
    code: str
    expected: str | None = None


@dataclass
class Document:
    path: Path
    blocks: list[Block] = field(default_factory=list)


def read(path: Path) -> Document:
    """The `sh` blocks of a markdown file, each with the `output` block that follows it."""
    document = Document(path)
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        info, start = opening.group(1), index + 1
        end = start
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        body = "\n".join(lines[start:end])
        if info == "sh":
            document.blocks.append(Block(start, body))
        elif info == "output":
            if not document.blocks or document.blocks[-1].expected is not None:
                raise ValueError(f"{path}:{start}: an output block must follow an sh block")
            document.blocks[-1].expected = body
        index = end + 1
    return document


def script(document: Document, base: str) -> str:
    parts = ["set -eo pipefail"]
    for number, block in enumerate(document.blocks):
        parts.append(f"printf '\\n{_MARKER} {number}\\n'")
        parts.append(block.code.replace(DEFAULT_BASE, base))
    parts.append(f"printf '\\n{_MARKER} end\\n'")
    return "\n".join(parts) + "\n"


def run(document: Document, base: str, workdir: Path, env: dict[str, str], timeout: float = 300) -> list[str]:
    """Run the blocks; answer one problem per block that failed or printed something else."""
    result = subprocess.run(
        ["bash", "-c", script(document, base)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    printed = _split(result.stdout)
    problems = []
    for number, block in enumerate(document.blocks):
        where = f"{document.path.name}:{block.line}"
        if number not in printed:
            problems.append(f"{where}: did not run (an earlier block failed)")
            break
        output = _tidy(printed[number])
        if not matches(block.expected or "", output, base):
            problems.append(f"{where}: printed\n{output}\n--- the document shows\n{block.expected or '(nothing)'}")
    if "end" not in printed and not problems:
        problems.append(f"{document.path.name}: the session stopped with status {result.returncode}")
    return problems


def _split(stdout: str) -> dict[int | str, str]:
    sections: dict[int | str, str] = {}
    current: int | str | None = None
    for line in stdout.splitlines():
        if line.startswith(_MARKER):
            name = line.removeprefix(_MARKER).strip()
            current = int(name) if name.isdigit() else name
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def matches(expected: str, printed: str, base: str) -> bool:
    """Line by line; placeholders match any text (at least one character for `<…>`)."""
    want = _tidy(expected.replace(DEFAULT_BASE, base)).splitlines()
    got = printed.splitlines()
    return len(want) == len(got) and all(_pattern(w).fullmatch(g) for w, g in zip(want, got, strict=True))


def _pattern(line: str) -> re.Pattern[str]:
    pieces = []
    position = 0
    for found in _PLACEHOLDER.finditer(line):
        pieces.append(re.escape(line[position : found.start()]))
        pieces.append(".*?" if found.group() == "…" else ".+?")
        position = found.end()
    pieces.append(re.escape(line[position:]))
    return re.compile("".join(pieces))
