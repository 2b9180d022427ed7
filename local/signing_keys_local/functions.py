"""Loads each function's handler in-process once, as a warm Lambda container would, and invokes it."""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from signing_keys_local.events import LambdaContext
from signing_keys_local.template import LOCAL_STACK, Function, Template

LambdaHandler = Callable[[dict[str, Any], Any], Any]

# What `sam local` sets, so Powertools behaves as it does there (no X-Ray daemon to send traces to).
LOCAL_ENVIRONMENT = {"AWS_SAM_LOCAL": "true", "POWERTOOLS_TRACE_DISABLED": "true"}


class FunctionHost:
    def __init__(self, template: Template) -> None:
        self.functions = template.functions()
        # As in Lambda, the environment exists before any of the functions' code is imported.
        os.environ.update(template.global_environment())
        for name, value in LOCAL_ENVIRONMENT.items():
            os.environ.setdefault(name, value)
        self._modules: dict[str, ModuleType] = {}
        self._lock = threading.Lock()

    def _load(self, function: Function) -> ModuleType:
        # Every function shares one process, so the environment is the union of theirs; the template
        # keeps shared settings in Globals, which makes that union equal to each function's own.
        os.environ.update(function.environment)
        spec = importlib.util.spec_from_file_location(f"lambda_{function.logical_id}", function.module_path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {function.module_path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def module(self, logical_id: str) -> ModuleType:
        """The function's handler module, imported once, as a warm container keeps it."""
        with self._lock:
            if logical_id not in self._modules:
                if logical_id not in self.functions:
                    raise KeyError(f"no function {logical_id} in the template")
                self._modules[logical_id] = self._load(self.functions[logical_id])
            return self._modules[logical_id]

    def handler(self, logical_id: str) -> LambdaHandler:
        handler: LambdaHandler = getattr(self.module(logical_id), self.functions[logical_id].handler_name)
        return handler

    def load_all(self) -> None:
        for logical_id in self.functions:
            self.handler(logical_id)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        handler = self.handler(logical_id)
        return handler(event, LambdaContext(function_name=f"{LOCAL_STACK}-{logical_id}"))
