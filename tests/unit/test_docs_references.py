"""Every file, section, test and make target the docs name exists.

The documents: README.md, docs/*.md, bench/README.md and edge/README* (when there is one). What counts as a
reference, and what it must resolve to:

- A word of an inline code span (`` `…` ``, outside fenced blocks) that starts with a repository directory
  (`bench/ docs/ edge/ events/ functions/ layers/ local/ tests/ tools/`) or with a package of the layer, the
  runner or the tools (`signing_keys/` → `layers/core/signing_keys/`, `signing_keys_local/` → `local/…`,
  `signing_keys_tools/` → `tools/…`): that file or directory exists. `path::name` (`::name` repeated for a
  class's test) also needs each name defined in that file.
- A bare file name `name.py` or `name.mjs` in an inline code span (`budget.py`): a file of that name somewhere
  under those directories.
- An inline code span holding only `test_…`: a test function of that name in the file the sentence names next
  ("`test_x` in `tests/unit/test_y.py`"), else in any test module under tests/; a test module's name counts too.
- A markdown link `[text](target)` that is not a URL: the target exists, relative to the document; `#anchor` (or
  `(#anchor)` alone, the document itself) matches a heading of that markdown file by GitHub's slug rules (lower
  case; punctuation dropped except `-` and `_`; each space a `-`; a repeated heading gets `-1`, `-2`, …).
- Any `name.md` in the text (`docs/edge.md`, `architecture.md#anchor`): the file, relative to the document, the
  repository root or docs/, and its anchor as above.
- A section named as `README § Deploy`, `architecture.md § Test tiers` or `README, "Heading"`: a heading of that
  file whose first words these are (same slug, or the slug and then more words).
- `make target` in an inline code span or at the start of a line of a fenced block, and each cell of a table
  column headed "make target": a target of the Makefile (`VAR=value` words and options are not targets).

Placeholders are not references: a word holding `<`, `>`, `*`, `…`, `...`, `{`, `}` or `$` is skipped.
"""

from __future__ import annotations

import ast
import functools
import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCUMENTS = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "bench" / "README.md", *(ROOT / "edge").glob("README*")]
)
REPOSITORY_DIRECTORIES = ("bench", "docs", "edge", "events", "functions", "layers", "local", "tests", "tools")
PACKAGE_DIRECTORIES = {
    "signing_keys": "layers/core/signing_keys",
    "signing_keys_local": "local/signing_keys_local",
    "signing_keys_tools": "tools/signing_keys_tools",
}
PLACEHOLDER_MARKS = ("<", ">", "*", "…", "...", "{", "}", "$")

_FENCE = re.compile(r"^\s*(```|~~~)")
# A code span may wrap lines, never a paragraph.
_CODE_SPAN = re.compile(r"`((?:[^`\n]|\n(?![ \t]*\n))+)`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_MARKDOWN_NAME = re.compile(r"(?<![\w/.#-])((?:[\w.-]+/)*[\w-]+\.md)(#[\w-]+)?(?![\w/-])")
_SECTION = re.compile(
    r"\b(README|[\w-]+\.md)(?:\s*§\s*([^.,;:)\"\n]+)|,?\s+\"([^\"]+)\")"
)  # README § Heading, x.md § Heading, README, "Heading"
_TEST_NAME = re.compile(r"test_\w+")
_MODULE_NAME = re.compile(r"[\w-]+\.(?:py|mjs)")
_TEST_IN_FILE = re.compile(r"\s+in\s+`(tests/[^`\s]+\.py)`")
_PATH_WORD = re.compile(r"[\w./:\[\]-]+")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MAKE_TARGET_RULE = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*::?(?!=)", re.MULTILINE)
_TARGET_WORD = re.compile(r"[A-Za-z0-9_.-]+")
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}-(?:[0-9a-f]{7}-)*-")  # a decision's heading slug, up to its title


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: link syntax read as its text, lower case, punctuation dropped (but `-`
    and `_`), each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def _prose_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """Each line with its number and whether it lies inside a fenced code block (fences themselves count as in)."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            yield number, line, True
            continue
        yield number, line, fenced


def anchors(text: str) -> set[str]:
    """The anchors of a markdown text's headings (fenced blocks hold no headings)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line, fenced in _prose_lines(text):
        heading = None if fenced else _HEADING.match(line)
        if heading is None:
            continue
        slug = github_slug(heading.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


@functools.cache
def _anchors_of(path: Path) -> frozenset[str]:
    return frozenset(anchors(path.read_text(encoding="utf-8")))


@functools.cache
def makefile_targets() -> frozenset[str]:
    rules = _MAKE_TARGET_RULE.findall((ROOT / "Makefile").read_text(encoding="utf-8"))
    return frozenset(target for rule in rules for target in rule.split())


@functools.cache
def _names_defined_in(path: Path) -> frozenset[str]:
    """Functions and classes at any depth of a Python module (test functions, test classes and their methods)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return frozenset(node.name for node in ast.walk(tree) if isinstance(node, kinds))


def _walk(directory: Path) -> Iterator[Path]:
    """Every file under `directory`, dependencies' node_modules left out."""
    for parent, subdirectories, files in os.walk(directory):
        subdirectories[:] = [name for name in subdirectories if name != "node_modules"]
        yield from (Path(parent) / name for name in files)


@functools.cache
def _file_names() -> frozenset[str]:
    """The name of every file under the repository's directories."""
    return frozenset(path.name for directory in REPOSITORY_DIRECTORIES for path in _walk(ROOT / directory))


@functools.cache
def _test_names_anywhere() -> frozenset[str]:
    """Test modules' names and every function and class they define."""
    modules = [path for path in _walk(ROOT / "tests") if path.name.startswith("test_") and path.suffix == ".py"]
    return frozenset({path.stem for path in modules}.union(*(_names_defined_in(path) for path in modules)))


def _is_placeholder(word: str) -> bool:
    return any(mark in word for mark in PLACEHOLDER_MARKS)


def _repository_path(word: str) -> str | None:
    """The repository path a word names, or None when it names none (a URL path, a key prefix, prose)."""
    head, slash, rest = word.partition("/")
    if head in REPOSITORY_DIRECTORIES:
        return word if slash else None  # `sam local invoke` names no directory
    if head in PACKAGE_DIRECTORIES:
        return f"{PACKAGE_DIRECTORIES[head]}/{rest}".rstrip("/")
    return None


def _path_problem(word: str) -> str | None:
    """Why a path word (`path` or `path::name[::name]`) does not resolve, or None when it does."""
    path_part, *names = word.split("::")
    path = _repository_path(path_part)
    if path is None:
        return None
    target = ROOT / path
    if not target.exists():
        return f"{path} does not exist"
    missing = [name for name in names if name.split("[")[0] not in _names_defined_in(target)]
    return f"{path} defines no {', '.join(missing)}" if missing else None


def _link_problem(target: str, document: Path, text: str) -> str | None:
    """Why a link target (a path relative to the document, `#anchor` for the document itself) does not resolve."""
    path_part, _, anchor = target.partition("#")
    file = (document.parent / path_part).resolve() if path_part else document
    if path_part and not file.exists():
        return f"{path_part} does not exist (relative to {document.parent.relative_to(ROOT) or '.'})"
    if anchor and file.suffix == ".md":
        known = anchors(text) if file == document else _anchors_of(file)
        if anchor not in known:
            return f"{file.relative_to(ROOT)} has no heading #{anchor}"
    return None


def _markdown_file(name: str, document: Path) -> Path | None:
    """A markdown file named in prose: relative to the document, the repository root or docs/."""
    for base in (document.parent, ROOT, ROOT / "docs"):
        if (base / name).is_file():
            return (base / name).resolve()
    return None


def _section_problem(file_name: str, heading: str, document: Path) -> str | None:
    file = _markdown_file("README.md" if file_name == "README" else file_name, document)
    if file is None:
        return f"{file_name} does not exist"
    # A section is named by its heading's first words: "§ Local" names "Local (`--media-dir`, `edge.py`)"; a
    # dated decision ("2026-12-02 (a1b2c3d) — Title") by its title's.
    named = github_slug(" ".join(heading.split()))
    titles = {_DATED.sub("", anchor) for anchor in _anchors_of(file)}
    if not any(title == named or title.startswith(f"{named}-") for title in titles):
        return f"{file.relative_to(ROOT)} has no heading {' '.join(heading.split())!r}"
    return None


# A reference found: its line, how it is written, and why it does not resolve (None when it does).
Finding = tuple[int, str, str | None]


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _make_findings(line: int, command: str, shown: str) -> Iterator[Finding]:
    """The targets of `make a b VAR=x -k`: the words after `make` that name targets, up to the first that is none
    (a shell operator, a comment); variables, options and a list's `·` separators are skipped."""
    for word in command.split()[1:]:
        if "=" in word or word.startswith("-") or word == "·":
            continue
        if not _TARGET_WORD.fullmatch(word):
            return
        yield line, shown.format(word), None if word in makefile_targets() else "no such target"


def _fenced_findings(lines: list[tuple[int, str, bool]]) -> Iterator[Finding]:
    """In fenced blocks: a line's `make` command, and a line's first word when it is a repository path (a layout)."""
    for number, line, fenced in lines:
        command = line.strip().removeprefix("$ ")
        if not fenced or not command:
            continue
        if command.startswith("make "):
            yield from _make_findings(number, command, "make {}")
        first_word = command.split()[0]
        if not _is_placeholder(first_word) and _PATH_WORD.fullmatch(first_word):
            yield number, first_word, _path_problem(first_word)


def _make_column_findings(lines: list[tuple[int, str, bool]]) -> Iterator[Finding]:
    """Each code span in a table column headed "make target"."""
    column: int | None = None
    for number, line, fenced in lines:
        row = None if fenced else _TABLE_ROW.match(line)
        if row is None:
            column = None
            continue
        cells = [cell.strip() for cell in row.group(1).split("|")]
        if column is None:
            headers = [cell.lower() for cell in cells]
            column = headers.index("make target") if "make target" in headers else None
            continue
        for target in _CODE_SPAN.findall(cells[column]) if column < len(cells) else []:
            yield number, f"make target `{target}`", None if target in makefile_targets() else "no such target"


def _code_span_findings(prose: str) -> Iterator[Finding]:
    """Make commands, test names, module names and repository paths in inline code spans."""
    for span in _CODE_SPAN.finditer(prose):
        content, line = " ".join(span.group(1).split()), _line_of(prose, span.start())
        if content.startswith("make "):
            yield from _make_findings(line, content, "`make {}`")
        elif _TEST_NAME.fullmatch(content):
            in_file = _TEST_IN_FILE.match(prose, span.end())
            if in_file:
                yield line, f"`{content}` in `{in_file.group(1)}`", _path_problem(f"{in_file.group(1)}::{content}")
            else:
                known = content in _test_names_anywhere()
                yield line, f"`{content}`", None if known else "no test of that name under tests/"
        else:
            for word in (word.strip(",;:()") for word in content.split()):
                # A markdown file is left to the markdown-name rule, which also finds those outside code.
                if _is_placeholder(word) or not _PATH_WORD.fullmatch(word) or word.endswith(".md"):
                    continue
                if _MODULE_NAME.fullmatch(word):
                    yield line, f"`{word}`", None if word in _file_names() else "no file of that name"
                else:
                    yield line, f"`{word}`", _path_problem(word)


def _link_findings(prose: str, document: Path, text: str) -> Iterator[Finding]:
    for link in _LINK.finditer(prose):
        target = link.group(1)
        if not _URL.match(target):
            yield _line_of(prose, link.start()), f"({target})", _link_problem(target, document, text)


def _markdown_name_findings(prose: str, document: Path) -> Iterator[Finding]:
    """Markdown files named outside links (links are the link rule's), with their anchors."""
    unlinked = _LINK.sub(lambda link: re.sub(r"[^\n]", " ", link.group(0)), prose)  # offsets, so lines, kept
    for mention in _MARKDOWN_NAME.finditer(unlinked):
        file, anchor = _markdown_file(mention.group(1), document), mention.group(2)
        if file is None:
            problem: str | None = f"{mention.group(1)} does not exist"
        elif anchor and anchor[1:] not in _anchors_of(file):
            problem = f"{file.relative_to(ROOT)} has no heading {anchor}"
        else:
            problem = None
        yield _line_of(unlinked, mention.start()), mention.group(0), problem


def _section_findings(prose: str, document: Path) -> Iterator[Finding]:
    for section in _SECTION.finditer(prose):
        heading = section.group(2) or section.group(3)
        problem = _section_problem(section.group(1), heading, document)
        yield _line_of(prose, section.start()), section.group(0), problem


def broken_references(text: str, document: Path) -> list[str]:
    """`line: reference: why` for every reference of a markdown text (read as if it were `document`) that does not
    resolve, in line order."""
    lines = list(_prose_lines(text))
    prose = "\n".join("" if fenced else line for _, line, fenced in lines)
    findings = itertools.chain(
        _fenced_findings(lines),
        _make_column_findings(lines),
        _code_span_findings(prose),
        _link_findings(prose, document, text),
        _markdown_name_findings(prose, document),
        _section_findings(prose, document),
    )
    broken = {(line, " ".join(reference.split()), problem) for line, reference, problem in findings if problem}
    return [f"{line}: {reference}: {problem}" for line, reference, problem in sorted(broken)]


def code_references(text: str, source: Path) -> list[str]:
    """`line: reference: why` for every markdown file or section a source file's comments and strings name that
    does not resolve (the same rules as in the documents, read from the repository root)."""
    findings = itertools.chain(_markdown_name_findings(text, source), _section_findings(text, source))
    broken = {(line, " ".join(reference.split()), problem) for line, reference, problem in findings if problem}
    return [f"{line}: {reference}: {problem}" for line, reference, problem in sorted(broken)]


SOURCE_DIRECTORIES = ("edge", "functions", "layers", "local", "tools", "bench", "tests")
SOURCES = [
    *sorted(
        path
        for directory in SOURCE_DIRECTORIES
        for path in _walk(ROOT / directory)
        if path.suffix in {".py", ".js", ".mjs", ".yaml"}
    ),
    ROOT / "template.yaml",
    ROOT / "Makefile",
    ROOT / "pyproject.toml",
]


def test_no_source_file_names_a_document_that_is_not_in_the_repository() -> None:
    # Given every source file (code, template, Makefile), whose comments and docstrings point readers to documents
    broken = {
        str(source.relative_to(ROOT)): problems
        for source in SOURCES
        if source != Path(__file__)
        if (problems := code_references(source.read_text(encoding="utf-8"), ROOT / "README.md"))
    }
    # Then each document and section they name is one of this repository's
    assert broken == {}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_reference_in_the_document_resolves(document: Path) -> None:
    # Given a document of the repository
    text = document.read_text(encoding="utf-8")

    # When its references are resolved
    broken = broken_references(text, document)

    # Then each names a file, section, test or make target that exists
    assert not broken, f"{document.relative_to(ROOT)}:\n" + "\n".join(broken)


MADE_UP_DOCUMENT = ROOT / "docs" / "made-up.md"


@pytest.mark.parametrize(
    ("existing", "made_up"),
    [
        ("see `layers/core/signing_keys/routes.py`", "see `layers/core/signing_keys/no_such_module.py`"),
        ("see `signing_keys/routes.py`", "see `signing_keys/no_such_module.py`"),
        (
            "`tests/unit/test_routes.py::test_an_unknown_operation_id_names_the_table`",
            "`tests/unit/test_routes.py::test_no_such_behaviour`",
        ),
        ("`test_operations_are_the_route_tables` in `tests/unit/test_openapi.py`",
         "`test_operations_are_the_route_tables` in `tests/unit/test_routes.py`"),
        ("`test_operations_are_the_route_tables`", "`test_no_such_behaviour_anywhere`"),
        ("[the tiers](architecture.md#test-tiers)", "[the tiers](architecture.md#no-such-section)"),
        ("[gone](conventions.md)", "[gone](no-such-document.md)"),
        ("# Here\n[up](#here)", "# Here\n[up](#elsewhere)"),
        ("docs/edge.md says so", "docs/no-such-document.md says so"),
        ("(architecture.md § Test tiers)", "(architecture.md § No such tiers)"),
        ("`budget.py` holds it", "`no_such_module.py` holds it"),
        ("```\nlayers/core/signing_keys/  the layer\n```", "```\nlayers/core/no_such_package/  the layer\n```"),
        ('(README, "Deploy")', '(README, "No such\nsection")'),
        ("run `make openapi`", "run `make no-such-target`"),
        ("| tier | make target |\n|---|---|\n| unit | `test-unit` |",
         "| tier | make target |\n|---|---|\n| unit | `test-none` |"),
        ("```sh\nmake run ARGS=--fresh\n```", "```sh\nmake no-such-target ARGS=--fresh\n```"),
    ],
    ids=[
        "path", "package path", "path::test", "test in file", "bare test", "link anchor", "link file", "own anchor",
        "markdown name", "section", "module name", "fenced path", "quoted section", "make span", "make column",
        "make in a fenced block",
    ],
)  # fmt: skip
def test_a_made_up_broken_reference_is_reported_and_the_real_one_is_not(existing: str, made_up: str) -> None:
    # Given a sentence that names something that exists, and the same sentence naming something that does not

    # When the checker reads each
    found_in_existing = broken_references(existing, MADE_UP_DOCUMENT)
    found_in_made_up = broken_references(made_up, MADE_UP_DOCUMENT)

    # Then only the made-up reference is reported
    assert found_in_existing == []
    assert len(found_in_made_up) == 1


def test_placeholders_are_not_references() -> None:
    # Given references written as placeholders
    text = "each is `functions/<name>/app.py`, `functions/*/app.py` or `events/….json`"

    # When the checker reads them / Then none is reported
    assert broken_references(text, MADE_UP_DOCUMENT) == []


def test_heading_anchors_follow_githubs_slug_rules() -> None:
    # Given headings with punctuation, code, a link and a repeat
    text = "# The runner's front limits\n## `make run` — the flags\n## [Deploy](x.md) it\n## Deploy it\n"

    # When their anchors are computed / Then they are GitHub's
    assert anchors(text) == {"the-runners-front-limits", "make-run--the-flags", "deploy-it", "deploy-it-1"}


def test_a_source_citing_a_document_outside_the_repository_is_reported() -> None:
    # Given a comment that cites a contract kept outside the repository, and one that cites the README
    comment = '# key policies (design.md §8)\n# key policies (README "Key policies and rotation")\n'
    # When the source rules read it, Then only the outside one is reported
    assert code_references(comment, ROOT / "README.md") == [
        "1: design.md: design.md does not exist",
        "1: design.md §8: design.md does not exist",
    ]
