"""The layer's Makefile (what `sam build` runs) with BSD-like tools, as on macOS (issue 19, finding 8)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LAYER = ROOT / "layers" / "core"
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
