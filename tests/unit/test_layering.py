"""The layer's imports keep its layering (docs/architecture.md § The pieces): handlers → HTTP glue → dialects, and
handlers → services → store, every layer over the leaves, and no module importing a layer above its own.

Every import counts, a deferred one inside a function too (it is loaded all the same, only later). A module of the
layer that is in no layer below fails the test, so a new module is placed deliberately."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "layers" / "core" / "signing_keys"
FUNCTIONS = ROOT / "functions"

LEAVES = frozenset(
    {
        "authorizer_context", "budget", "cache", "config", "edge_tokens", "errors", "jwks", "key_ids", "keys",
        "limits", "models", "observability", "patterns", "public_keys", "rejections", "stages", "token_rules",
        "token_screen", "dialects.examples",
    }
)  # fmt: skip
SERVICES = frozenset(
    {
        "audit", "credentials", "edge_deny_list", "edge_secrets", "edge_store", "exchange", "key_loader",
        "playback", "revocations", "service", "verification",
    }
)  # fmt: skip
HTTP_GLUE = frozenset({"api", "guards", "http_errors", "operations", "parameters", "routes"})


def layer_of(module: str) -> str:
    if module in LEAVES:
        return "leaf"
    if module == "store" or module.startswith("store."):
        return "store"
    if module == "dialects" or module.startswith("dialects."):
        return "dialect"
    if module in SERVICES:
        return "service"
    if module in HTTP_GLUE:
        return "http"
    return "unplaced"


# What each layer may import of the layer, besides itself: nothing above it.
MAY_IMPORT = {
    "leaf": {"leaf"},
    "store": {"leaf", "store"},
    "dialect": {"leaf", "dialect"},
    "service": {"leaf", "store", "service"},
    "http": {"leaf", "dialect", "http"},
    "handler": {"leaf", "dialect", "service", "http"},
}
# Third-party modules a layer must not reach: the dialects and the services do no HTTP, the dialects no I/O.
FORBIDDEN_PACKAGES = {
    "dialect": ("boto3", "botocore"),
    "service": ("aws_lambda_powertools.event_handler",),
    "store": ("aws_lambda_powertools.event_handler",),
    "leaf": ("aws_lambda_powertools.event_handler", "boto3"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every module `path` imports, absolute; `from signing_keys.store import keys` counts as `signing_keys.store.keys`
    when `keys` is a module of that package."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            package = PACKAGE.parent.joinpath(*node.module.split("."))
            for alias in node.names:
                if (package / f"{alias.name}.py").is_file() or (package / alias.name).is_dir():
                    yield f"{node.module}.{alias.name}"


def layer_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py")) if module_name(path)}


def upward_imports(importer_layer: str, imported: Iterator[str]) -> list[str]:
    """The imports of a module of `importer_layer` that break the layering, as `module (layer)`."""
    broken = []
    for name in imported:
        if name.startswith("signing_keys."):
            target = name.removeprefix("signing_keys.")
            if target in {"dialects", "store"}:
                continue  # the package itself; its modules are judged one by one
            if layer_of(target) not in MAY_IMPORT[importer_layer]:
                broken.append(f"{target} ({layer_of(target)})")
        elif any(name == p or name.startswith(f"{p}.") for p in FORBIDDEN_PACKAGES.get(importer_layer, ())):
            broken.append(name)
    return broken


def test_every_module_of_the_layer_has_its_place() -> None:
    # Given the layer's modules, When each is placed, Then none is left outside the layering
    assert [module for module in layer_modules() if layer_of(module) == "unplaced"] == []


@pytest.mark.parametrize("module", sorted(layer_modules()))
def test_a_module_of_the_layer_imports_nothing_above_its_layer(module: str) -> None:
    # Given a module of the layer and its layer
    layer = layer_of(module)
    # When its imports are read, Then each is of its own layer or one it may build on
    assert upward_imports(layer, imports_of(layer_modules()[module])) == []


@pytest.mark.parametrize("handler", sorted(FUNCTIONS.glob("*/app.py")), ids=lambda path: path.parent.name)
def test_a_handler_reaches_the_store_only_through_a_service(handler: Path) -> None:
    # Given a function's handler, When its imports are read, Then none is the store (nor anything unplaced)
    assert upward_imports("handler", imports_of(handler)) == []


def test_an_upward_import_is_reported() -> None:
    # Given a dialect that imports the store and boto3, and a store module that imports a service
    # When their imports are judged, Then each breach is named
    assert upward_imports("dialect", iter(["signing_keys.store.keys", "boto3", "signing_keys.models"])) == [
        "store.keys (store)",
        "boto3",
    ]
    assert upward_imports("store", iter(["signing_keys.service"])) == ["service (service)"]
