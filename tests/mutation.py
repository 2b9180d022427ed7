"""Mutation testing of the verifier, the store and the credentials (`make mutation`): mutmut 3 over a staged copy of
the tree, then the score per module and where each survivor lives (the latest: bench/README.md, section "Mutation
testing").

mutmut names a mutant by its file's path (`src/` stripped) and imports the mutated copy from `mutants/src`, while
the layer's package lives at layers/core/signing_keys: run from the repository, every mutant would count as
untested. So the run happens in `.mutation/`, a copy laid out as mutmut expects (the package at
`src/signing_keys`, the tests, what they read), and `[tool.mutmut]` in pyproject.toml names that copy's paths.
The copy is also why `mutmut apply` there never touches the repository.

    python -m tests.mutation            a fresh run: every mutant of the modules in scope
    python -m tests.mutation NAME ...   the named mutants again (names as listed), keeping the other results
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".mutation"
# What the staged tests read besides themselves: the template (tables, functions) and the handlers' code.
STAGED_FILES = {
    "src/signing_keys": "layers/core/signing_keys",
    "tests": "tests",
    "template.yaml": "template.yaml",
    "functions": "functions",
    "pyproject.toml": "pyproject.toml",
}
_NOT_STAGED = shutil.ignore_patterns("__pycache__", "node_modules", ".hypothesis", "*.pyc")
# The table's columns: mutmut's statuses (mutmut.stats.status_by_exit_code) counted apart; the rest is `other`.
# The score is over the mutants checked: killed or timed out, of all but those not (yet) run.
COLUMNS = ("killed", "timeout", "survived", "no tests", "not checked")


@dataclass(frozen=True)
class Survivor:
    name: str
    path: str  # in the repository
    line: int
    original: str
    mutated: str


def stage(*, fresh: bool) -> None:
    """The staged tree, copied anew; a fresh run also drops mutmut's results (`mutants/`). Copies keep their
    modification times, so mutmut regenerates only the mutants of files that changed."""
    if fresh:
        shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir(exist_ok=True)
    for staged, original in STAGED_FILES.items():
        target, source = STAGE / staged, ROOT / original
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=_NOT_STAGED)
        else:
            shutil.copy2(source, target)


def run_mutmut(names: list[str], *, max_children: int | None) -> None:
    mutmut = Path(sys.executable).with_name("mutmut")
    children = [] if max_children is None else ["--max-children", str(max_children)]
    subprocess.run([str(mutmut), "run", *children, *names], cwd=STAGE, check=True)


def _scope() -> list[str]:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return list(settings["only_mutate"])


def mutated_files() -> list[Path]:
    """The staged source files in scope, as mutmut names them (relative to the staged tree)."""
    patterns = _scope()
    found = sorted(path.relative_to(STAGE) for path in (STAGE / "src").rglob("*.py"))
    return [path for path in found if any(fnmatch(str(path), pattern) for pattern in patterns)]


def results(path: Path) -> dict[str, int | None]:
    meta = STAGE / "mutants" / f"{path}.meta"
    if not meta.exists():
        return {}
    exit_codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return exit_codes


def _repository_path(staged: Path) -> str:
    return str(
        ROOT.joinpath(STAGED_FILES["src/signing_keys"], staged.relative_to("src/signing_keys")).relative_to(ROOT)
    )


def _function_line(source: str, name: str) -> int:
    """The line the mutated function starts at in the original file (mutmut's name: `x_f` or `xǁClassǁf`)."""
    parts = name.removeprefix("x_").removeprefix("xǁ").split("ǁ")
    function, owner = parts[-1], parts[0] if len(parts) > 1 else None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == owner:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == function:
                    return item.lineno
        if owner is None and isinstance(node, ast.FunctionDef) and node.name == function:
            return node.lineno
    return 1


@cache
def _mutated_functions(path: Path) -> dict[str, str]:
    """Every function of mutmut's copy of a staged file (the original as `…__mutmut_orig`, each mutant as
    `…__mutmut_N`), by name: its source."""
    source = (STAGE / "mutants" / path).read_text()
    return {
        node.name: ast.get_source_segment(source, node) or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef)
    }


def survivor(path: Path, name: str) -> Survivor:
    """Where a survivor's change is: its function against the original in mutmut's copy (what `mutmut show NAME`
    prints, without starting mutmut once per survivor)."""
    mutant = name.rpartition(".")[2]
    function = mutant.partition("__mutmut_")[0]
    functions = _mutated_functions(path)
    # Under one name: the `def` lines differ by it alone, unless a default changed.
    original = functions[f"{function}__mutmut_orig"]
    mutated = functions[mutant].replace(mutant, f"{function}__mutmut_orig", 1)
    diff = difflib.unified_diff(original.splitlines(), mutated.splitlines(), lineterm="", n=0)
    changed = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
    removed = [line[1:].strip() for line in changed if line.startswith("-")]
    added = [line[1:].strip() for line in changed if line.startswith("+")]
    lines = (STAGE / path).read_text().splitlines()
    start = _function_line("\n".join(lines), function)
    first = removed[0] if removed else None
    line = next((number for number in range(start, len(lines) + 1) if lines[number - 1].strip() == first), start)
    return Survivor(name, _repository_path(path), line, " / ".join(removed), " / ".join(added))


def report() -> None:
    """The score table and the survivors."""
    rows = []
    survivors: list[Survivor] = []
    totals: Counter[str] = Counter()
    for path in mutated_files():
        counts: Counter[str] = Counter()
        for name, exit_code in results(path).items():
            status = status_by_exit_code[exit_code]
            counts[status if status in COLUMNS else "other"] += 1
            if status == "survived":
                survivors.append(survivor(path, name))
        counts["total"] = sum(counts.values())
        totals.update(counts)
        rows.append((_repository_path(path), counts))
    rows.append(("total", totals))
    columns = ("total", *COLUMNS, "other")
    print(
        f"\n{'module':<48}"
        + "".join(f"{'mutants' if column == 'total' else column:>12}" for column in columns)
        + "    score"
    )
    for module, counts in rows:
        detected, checked = counts["killed"] + counts["timeout"], counts["total"] - counts["not checked"]
        score = f"{100 * detected / checked:.1f} %" if checked else "-"
        print(f"{module:<48}" + "".join(f"{counts[column]:>12}" for column in columns) + f"{score:>9}")
    if survivors:
        print("\nsurvivors (mutmut show NAME, in .mutation/, for the whole diff):")
        for found in survivors:
            print(f"{found.path}:{found.line}  {found.name}\n    - {found.original}\n    + {found.mutated}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=(__doc__ or "").partition("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="mutants to run again (all of them: a fresh run)")
    parser.add_argument("--max-children", type=int, help="mutmut's parallel test runs (default: one per CPU)")
    arguments = parser.parse_args(argv)
    stage(fresh=not arguments.names)
    run_mutmut(arguments.names, max_children=arguments.max_children)
    report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
