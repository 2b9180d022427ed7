"""Copies edge/viewer_request.js into template.yaml as EdgeViewerRequestFunction's FunctionCode.

CloudFormation takes a CloudFront Function's code only inline, so the template holds a copy of the file: a YAML
literal block, which YAML passes through verbatim (no escapes, no folding), and a plain string, never an Fn::Sub, so
CloudFormation substitutes nothing in it either (`${...}` stays as written). `inline` rewrites that block and then
reads the template back, refusing any code YAML would not return unchanged (a carriage return, a control character,
trailing blank lines). tests/unit/test_edge_template.py fails while the copy differs from the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from signing_keys_local.template import load_document

FUNCTION_RESOURCE = "EdgeViewerRequestFunction"
SOURCE = Path("edge") / "viewer_request.js"
_RESOURCE_LINE = re.compile(rf"^  {FUNCTION_RESOURCE}:\s*$")
_CODE_KEY = re.compile(r"^(?P<indent> +)FunctionCode: *\|[0-9+-]*\s*$")


class InlineError(ValueError):
    """The template has no FunctionCode block to rewrite, or the code cannot travel through YAML unchanged."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_span(lines: list[str]) -> tuple[int, int, str]:
    """(index of the `FunctionCode: |` line, index after its last content line, the key's indentation)."""
    starts = [i for i, line in enumerate(lines) if _RESOURCE_LINE.match(line)]
    if len(starts) != 1:
        raise InlineError(f"expected one {FUNCTION_RESOURCE} resource in the template, found {len(starts)}")
    for key in range(starts[0] + 1, len(lines)):
        line = lines[key]
        if line.strip() and _indent(line) <= 2:
            break  # the next resource: the function has no FunctionCode block
        match = _CODE_KEY.match(line)
        if match:
            indent = match.group("indent")
            end = key + 1
            while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > len(indent)):
                end += 1
            while end > key + 1 and not lines[end - 1].strip():
                end -= 1  # blank lines after the block separate resources; they are not code
            return key, end, indent
    raise InlineError(f"{FUNCTION_RESOURCE} has no `FunctionCode: |` block")


def _literal_block(code: str, indent: str) -> list[str]:
    if code.endswith("\n\n"):
        raise InlineError("the code ends with blank lines; YAML's literal block would drop them")
    chomping = "" if code.endswith("\n") else "-"
    body = code.removesuffix("\n").split("\n")
    # A first line that starts with a space would otherwise set the block's indentation.
    indentation = "2" if body[0].startswith(" ") else ""
    content = indent + "  "
    header = f"{indent}FunctionCode: |{indentation}{chomping}\n"
    return [header, *(f"{content}{line}\n" if line else "\n" for line in body)]


def inline(template_text: str, code: str) -> str:
    """The template with FunctionCode replaced by `code`; InlineError if YAML would not give `code` back."""
    lines = template_text.splitlines(keepends=True)
    key, end, indent = _block_span(lines)
    rewritten = "".join([*lines[:key], *_literal_block(code, indent), *lines[end:]])
    try:
        carried = load_document(rewritten)["Resources"][FUNCTION_RESOURCE]["Properties"]["FunctionCode"]
    except yaml.YAMLError as error:
        raise InlineError(f"YAML cannot hold this code: {error}") from error
    if carried != code:
        raise InlineError("YAML does not carry this code verbatim (carriage returns? trailing blanks?)")
    return rewritten


def read_source(root: Path) -> str:
    """The Function's file exactly as stored: no newline translation, so a carriage return is seen, not hidden."""
    with (root / SOURCE).open(encoding="utf-8", newline="") as source:
        return source.read()


def write(root: Path) -> Path:
    """Rewrite root/template.yaml from root/edge/viewer_request.js; return the template's path."""
    template = root / "template.yaml"
    updated = inline(template.read_text(encoding="utf-8"), read_source(root))
    template.write_text(updated, encoding="utf-8")
    return template
