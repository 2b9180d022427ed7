"""The README's runnable blocks: each fenced block after a `<!-- readme-test: NAME -->` line belongs to NAME, in
order. Shell lines ending in `#  => TEXT` claim their output; `script()` turns a NAME's shell blocks into one bash
script that fails, naming the line, when a command prints anything else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

README = ROOT / "README.md"
_MARKER = re.compile(r"^<!-- readme-test: ([a-z0-9-]+) -->$")
_FENCE = re.compile(r"^```([a-z]*)$")
_CLAIM = re.compile(r"^(?P<command>.*?)\s+#  => (?P<output>.*)$")
# What a reader fills in by hand, and what the tests fill in instead.
LOCAL_URL = "http://127.0.0.1:3000"
SECRET_PLACEHOLDER = "<the secret make run printed>"


@dataclass(frozen=True)
class Block:
    name: str
    language: str
    code: str
    line: int  # of the README, where the code starts


def blocks(readme: Path = README) -> list[Block]:
    found: list[Block] = []
    lines = readme.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        marker = _MARKER.match(lines[index])
        fence = _FENCE.match(lines[index + 1]) if marker and index + 1 < len(lines) else None
        if marker is None or fence is None:
            index += 1
            continue
        end = lines.index("```", index + 2)
        found.append(Block(marker.group(1), fence.group(1), "\n".join(lines[index + 2 : end]) + "\n", index + 3))
        index = end + 1
    return found


def named(name: str, language: str) -> list[Block]:
    return [block for block in blocks() if block.name == name and block.language == language]


@dataclass(frozen=True)
class Script:
    bash: str
    claims: list[tuple[int, str]]  # README line, the output it claims


def script(name: str, url: str, secret: str) -> Script:
    """The NAME's shell blocks as one bash script against `url`; each claimed output checked where it is made."""
    out = [
        "set -euo pipefail",
        'claim() { if [ "$2" != "$(cat "$CLAIMS/$1")" ]; then',
        '  echo "README line $1: printed [$2], the README claims [$(cat "$CLAIMS/$1")]" >&2; exit 1; fi; }',
    ]
    claims: list[tuple[int, str]] = []
    for block in named(name, "sh"):
        logical: list[str] = []
        for offset, raw in enumerate(block.code.splitlines()):
            text = raw.replace(LOCAL_URL, url).replace(SECRET_PLACEHOLDER, secret)
            logical.append(text)
            if text.endswith("\\"):
                continue
            command = "\n".join(logical)
            logical = []
            claimed = _CLAIM.match(command.split("\n")[-1])
            if claimed is None:
                out.append(command)
                continue
            line = block.line + offset
            body = "\n".join([*command.split("\n")[:-1], claimed.group("command")])
            claims.append((line, claimed.group("output")))
            out.append(f"__printed=$({body})")
            out.append(f'claim {line} "$__printed"')
    return Script("\n".join(out) + "\n", claims)
