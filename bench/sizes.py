"""Built artifact sizes (uncompressed and zipped) from .aws-sam/build, with the layer's largest packages."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from bench.harness import ROOT

Row = tuple[str, str, float | None, str]
BUILD = ROOT / ".aws-sam" / "build"


def _sizes(directory: Path) -> tuple[int, int]:
    raw = 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            raw += path.stat().st_size
            archive.write(path, path.relative_to(directory))
    return raw, buffer.tell()


def run() -> list[Row]:
    if not BUILD.is_dir():
        return [("artifact sizes", "-", None, "run `make build` first")]
    rows: list[Row] = []
    for directory in sorted(p for p in BUILD.iterdir() if p.is_dir()):
        raw, zipped = _sizes(directory)
        if raw >= 1e6:
            rows.append((f"size {directory.name}", "MB", raw / 1e6, f"zipped {zipped / 1e6:.2f} MB"))
        else:
            rows.append((f"size {directory.name}", "KB", raw / 1e3, f"zipped {zipped / 1e3:.1f} KB"))
    packages = BUILD / "CoreLayer" / "python"
    if packages.is_dir():
        largest = sorted(
            (
                (sum(f.stat().st_size for f in p.rglob("*") if f.is_file()), p.name)
                for p in packages.iterdir()
                if p.is_dir()
            ),
            reverse=True,
        )[:5]
        rows.append(
            ("layer's largest packages", "-", None, ", ".join(f"{name} {size / 1e6:.1f} MB" for size, name in largest))
        )
        shipped = [name for name in ("boto3", "botocore") if (packages / name).exists()]
        rows.append(
            ("boto3/botocore in the layer", "-", None, ", ".join(shipped) or "none (the runtime provides them)")
        )
    return rows
