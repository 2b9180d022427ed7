"""The layer's Makefile (what `sam build` runs): with BSD-like tools, as on macOS (issue 19, finding 8), and what it
ships: its requirements without the AWS SDK stack the Lambda runtime has (docs/deploy.md)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYER = ROOT / "layers" / "core"
# The Lambda runtime's own copies, which a layer copy would shadow (a layer comes first on sys.path): boto3, and
# what only it needs. jmespath is not among them: Powertools requires it too.
RUNTIME_ONLY = {"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil", "six"}
RUNTIME_ONLY_MODULES = {"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six"}
# `pip install --target` offline: the requirements and their dependencies, as pip resolves them for the layer's
# platform, linked from this environment's installed distributions (the test interpreter is the "runtime").
OFFLINE_PIP = """
import importlib.metadata, os, sys
from pathlib import Path
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

args = sys.argv[1:]
target = Path(args[args.index("--target") + 1])
lines = Path(args[args.index("-r") + 1]).read_text().splitlines()
wanted = [Requirement(line) for line in (l.split("#")[0].strip() for l in lines) if line]
environment = {"python_version": "3.13", "python_full_version": "3.13.0", "sys_platform": "linux",
               "platform_machine": "aarch64", "platform_python_implementation": "CPython",
               "implementation_name": "cpython", "os_name": "posix"}
done = {}
while wanted:
    requirement = wanted.pop()
    name = canonicalize_name(requirement.name)
    extras = done.setdefault(name, set())
    new_extras = set(requirement.extras) - extras
    if extras and not new_extras:
        continue
    extras |= new_extras | {""}
    for text in importlib.metadata.distribution(name).requires or []:
        dependency = Requirement(text)
        if dependency.marker is None or any(dependency.marker.evaluate({**environment, "extra": e}) for e in extras):
            wanted.append(dependency)
for name in done:
    distribution = importlib.metadata.distribution(name)
    for file in distribution.files or []:
        source = Path(distribution.locate_file(file))
        if "__pycache__" in file.parts or ".." in file.parts or not source.is_file():
            continue
        (target / file).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(source, target / file)
"""
# Commands a recipe might use; each shim refuses GNU long options (--parents, --target-directory, ...), which
# the BSD versions do not have.
SHIMMED_COMMANDS = ("cp", "find", "rm", "mkdir", "mv", "sed", "tar", "xargs", "install")
SHIM = """#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    --) break ;;
    --*) echo "BSD {name} has no option $arg" >&2; exit 64 ;;
  esac
done
exec {real} "$@"
"""


def _bsd_like_path(shims: Path) -> str:
    shims.mkdir()
    for name in SHIMMED_COMMANDS:
        real = shutil.which(name)
        if real is None:
            continue
        shim = shims / name
        shim.write_text(SHIM.format(name=name, real=real))
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return f"{shims}{os.pathsep}{os.environ['PATH']}"


def _modules(package: Path) -> set[str]:
    return {str(path.relative_to(package)) for path in package.rglob("*") if path.is_file()}


def test_layer_build_copies_the_whole_package_with_bsd_tools(tmp_path: Path) -> None:
    # Given BSD-like core tools and a pip that installs nothing (the copy step is under test, offline)
    env = {**os.environ, "PATH": _bsd_like_path(tmp_path / "shims")}
    artifacts = tmp_path / "artifacts"
    make = shutil.which("make")
    assert make is not None, "make is needed to build the layer"
    # When sam build's target runs
    result = subprocess.run(
        [
            make,
            "-C",
            str(LAYER),
            "build-CoreLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
            "PIP=true",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # Then it succeeds and the layer holds every module of the package, sub-packages included, and no bytecode
    assert result.returncode == 0, result.stderr
    source = {module for module in _modules(LAYER / "signing_keys") if "__pycache__" not in module}
    copied = _modules(artifacts / "python" / "signing_keys")
    assert copied == source
    assert "dialects/livepeer.py" in copied


@dataclass(frozen=True)
class BuiltLayer:
    output: str  # what the build printed
    site: Path  # its python/ directory


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> BuiltLayer:
    """The layer as sam build makes it, its requirements resolved offline from this environment."""
    root = tmp_path_factory.mktemp("layer")
    (root / "pip.py").write_text(OFFLINE_PIP)
    make = shutil.which("make")
    assert make is not None, "make is needed to build the layer"
    result = subprocess.run(
        [
            make,
            "-C",
            str(LAYER),
            "build-CoreLayer",
            f"ARTIFACTS_DIR={root / 'artifacts'}",
            f"PYTHON={sys.executable}",
            f"PIP={sys.executable} {root / 'pip.py'}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return BuiltLayer(result.stdout, root / "artifacts" / "python")


def _distributions(site: Path) -> set[str]:
    return {path.name.split("-")[0].replace("_", "-").lower() for path in site.glob("*.dist-info")}


def _top_level_modules(site: Path) -> set[str]:
    names = set()
    for path in site.iterdir():
        name = path.name.split(".")[0]
        if path.name.endswith(".dist-info") or not name.isidentifier():
            continue
        if path.is_dir() and not (path / "__init__.py").exists():
            continue
        names.add(name)
    return names


def test_layer_ships_its_requirements_without_what_only_the_runtime_sdk_needs(built_layer: BuiltLayer) -> None:
    # Given the layer sam build's target made
    shipped = _distributions(built_layer.site)
    # Then none of the runtime's SDK stack is in it, neither as a distribution nor as a module
    assert shipped & RUNTIME_ONLY == set()
    assert _top_level_modules(built_layer.site) & RUNTIME_ONLY_MODULES == set()
    # And what another layer package needs stays: jmespath (Powertools'), with the reasons printed
    assert "jmespath" in shipped
    assert "layer: kept jmespath (required by aws-lambda-powertools too)" in built_layer.output
    assert "layer: removed urllib3 (required only by botocore)" in built_layer.output


def test_what_the_layer_keeps_imports_over_the_runtimes_sdk(built_layer: BuiltLayer) -> None:
    # Given the built layer in front of a "runtime" (this environment, which has boto3 and its dependencies)
    site = built_layer.site
    modules = sorted(_top_level_modules(site) | {"aws_xray_sdk.core", "aws_lambda_powertools.tracing"})
    check = (
        "import importlib, json\n"
        f"names = {modules + sorted(RUNTIME_ONLY_MODULES)!r}\n"
        "print(json.dumps({name: importlib.import_module(name).__file__ for name in names}))\n"
    )
    # When every module it ships is imported, the layer first on the path as in Lambda
    imported = subprocess.run(
        [sys.executable, "-c", check],
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # Then each imports (aws_xray_sdk with the runtime's botocore) from the layer, and the SDK stack from the runtime
    assert imported.returncode == 0, imported.stderr
    files = json.loads(imported.stdout)
    assert all(files[name].startswith(str(site)) for name in modules)
    assert not any(files[name].startswith(str(site)) for name in RUNTIME_ONLY_MODULES)
