"""Removes from the built layer the AWS SDK stack the Lambda runtime ships, and every package only that stack needs.

A layer's `python/` directory comes before the runtime's own packages on `sys.path`, so a copy of botocore, or of
one of its dependencies (urllib3, python-dateutil, six, jmespath, s3transfer), in the layer would shadow the
runtime's, which is matched to the runtime's boto3. pip puts them there because aws-xray-sdk (Powertools'
tracer) requires botocore.

What goes, read from the installed distributions' METADATA (`Requires-Dist`): boto3, botocore and s3transfer,
then every package they require, transitively, that no other layer package requires. A requirement under an
extra (`; extra == "jwt"`) counts only when that extra was asked for (in requirements.txt, or by a requirement
that counts); any other environment marker counts as met, so a package a kept one might need stays. Each removal
and each kept dependency is printed with the packages that require it: the proof of why it may go or must stay.

`python prune_runtime_packages.py <layer's python/ directory> <requirements.txt>`; standard library only (it runs
on the build machine's Python, before the Makefile drops the RECORD files it reads).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer")
_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA_MARKER = re.compile(r"\bextra\s*==\s*[\"']([^\"']+)[\"']")


def canonical(name: str) -> str:
    """PEP 503's normalized name: `python_dateutil`, `Python-DateUtil` and `python-dateutil` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    name: str  # canonical
    extras: frozenset[str]  # the extras it asks of `name`
    under_extras: frozenset[str]  # the requirer's extras it is listed under; empty = always


def parse_requirement(text: str) -> Requirement | None:
    requirement, _, marker = text.partition(";")
    match = _REQUIREMENT.match(requirement)
    if match is None:
        return None
    extras = frozenset(canonical(extra) for extra in (match.group(2) or "").split(",") if extra.strip())
    under = frozenset(canonical(extra) for extra in _EXTRA_MARKER.findall(marker))
    return Requirement(canonical(match.group(1)), extras, under)


@dataclass(frozen=True)
class Distribution:
    name: str  # canonical
    dist_info: Path
    requirements: tuple[Requirement, ...]  # every Requires-Dist

    def files(self, site: Path) -> list[Path]:
        """Every file pip installed for it (its RECORD), inside `site`."""
        record = self.dist_info / "RECORD"
        if not record.is_file():
            raise SystemExit(f"{self.dist_info.name} has no RECORD: cannot tell which files are {self.name}'s")
        lines = record.read_text(encoding="utf-8").splitlines()
        # Normalized, not resolved: RECORD may name ../bin scripts, and a file may be a link to elsewhere.
        paths = [Path(os.path.normpath(site / line.rsplit(",", 2)[0])) for line in lines if line]
        return [path for path in paths if path.is_relative_to(site)]


def installed(site: Path) -> dict[str, Distribution]:
    distributions = {}
    for metadata_file in sorted(site.glob("*.dist-info/METADATA")):
        metadata = HeaderParser().parsestr(metadata_file.read_text(encoding="utf-8"))
        parsed = (parse_requirement(text) for text in metadata.get_all("Requires-Dist") or [])
        name = canonical(str(metadata["Name"]))
        distributions[name] = Distribution(name, metadata_file.parent, tuple(r for r in parsed if r is not None))
    return distributions


def requirement_graph(distributions: dict[str, Distribution], requested: list[Requirement]) -> dict[str, set[str]]:
    """For every installed package, the installed packages that require it, given the extras asked for."""
    extras: dict[str, set[str]] = {name: set() for name in distributions}
    for requirement in requested:
        extras.setdefault(requirement.name, set()).update(requirement.extras)
    required_by: dict[str, set[str]] = {name: set() for name in distributions}
    changed = True
    while changed:  # an extra asked for can bring requirements that ask for more extras
        changed = False
        for distribution in distributions.values():
            for requirement in distribution.requirements:
                counts = not requirement.under_extras or requirement.under_extras & extras[distribution.name]
                if not counts or requirement.name not in distributions:
                    continue
                if distribution.name not in required_by[requirement.name]:
                    required_by[requirement.name].add(distribution.name)
                    changed = True
                if not requirement.extras <= extras[requirement.name]:
                    extras[requirement.name] |= requirement.extras
                    changed = True
    return required_by


def removable(required_by: dict[str, set[str]]) -> set[str]:
    """The runtime's packages and what only they need."""
    requires: dict[str, set[str]] = {name: set() for name in required_by}
    for name, requirers in required_by.items():
        for requirer in requirers:
            requires[requirer].add(name)
    candidates = {name for name in RUNTIME_PACKAGES if name in required_by}
    pending = list(candidates)
    while pending:
        for requirement in requires[pending.pop()]:
            if requirement not in candidates:
                candidates.add(requirement)
                pending.append(requirement)
    # A candidate some kept package requires is kept, and with it what it requires.
    changed = True
    while changed:
        changed = False
        for name in sorted(candidates - set(RUNTIME_PACKAGES)):
            if required_by[name] - candidates:
                candidates.discard(name)
                changed = True
    return candidates


def _remove(distribution: Distribution, site: Path) -> None:
    files = distribution.files(site)  # read first: RECORD lists itself
    for path in files:
        if path.is_file() or path.is_symlink():
            path.unlink()
    for path in sorted(files, key=lambda p: len(p.parts), reverse=True):
        for directory in path.parents:
            if directory == site or not directory.is_relative_to(site):
                break
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
    if distribution.dist_info.exists():
        for leftover in sorted(distribution.dist_info.rglob("*"), reverse=True):
            if leftover.is_dir() and not leftover.is_symlink():
                leftover.rmdir()
            else:
                leftover.unlink()
        distribution.dist_info.rmdir()


def prune(site: Path, requirements_file: Path) -> list[str]:
    """Removes them from `site`; one line per removed or kept package, saying why."""
    distributions = installed(site)
    lines = (line.split("#", 1)[0].strip() for line in requirements_file.read_text(encoding="utf-8").splitlines())
    requested = [r for r in (parse_requirement(line) for line in lines if line) if r is not None]
    required_by = requirement_graph(distributions, requested)
    removed = removable(required_by)
    report = []
    for name in sorted(removed):
        _remove(distributions[name], site)
        requirers = ", ".join(sorted(required_by[name])) or "nothing"
        if name in RUNTIME_PACKAGES:
            reason = f"the runtime ships it; required by {requirers}"
        else:
            reason = f"required only by {requirers}"
        report.append(f"layer: removed {name} ({reason})")
    for name in sorted(set(required_by) - removed):
        dropped_requirers = required_by[name] & removed
        if dropped_requirers:
            kept_for = ", ".join(sorted(required_by[name] - removed))
            report.append(f"layer: kept {name} (required by {kept_for} too)")
    return report


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: prune_runtime_packages.py <layer python/ directory> <requirements.txt>")
    for line in prune(Path(sys.argv[1]), Path(sys.argv[2])):
        print(line)
