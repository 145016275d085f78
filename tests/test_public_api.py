"""The public surface is deliberate, explicit and documented.

The package root exports exactly the names below; the public modules are exactly the ones
listed (everything else is a private ``_module``); every public name, and every public method of
a public class, has a docstring.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import langgraph_genesis_memory as pkg

ROOT_NAMES = {
    "GenesisStore",
    "GenesisSaver",
    "SessionManager",
    "SessionContext",
    "create_handoff_tool",
    "create_handoff_node",
    "list_handoffs",
    "alist_handoffs",
    "handoff_prompt",
    "handoff_pre_model_hook",
    "HandoffContextMiddleware",
    "create_manage_memory_tool",
    "create_search_memory_tool",
    "LocalServer",
    "LocalServerStatus",
    "MiniLMEmbeddings",
    "DEFAULT_NAMESPACE_TTL",
    "MEMORY_LAYERS",
    "GenesisMemoryError",
    "InvalidNamespaceError",
    "InvalidKeyError",
    "InvalidValueError",
    "ValueTooLargeError",
    "InvalidFilterError",
    "InvalidArgumentError",
    "ConfigurationError",
    "DatabaseUnavailableError",
    "PartialWriteError",
    "LocalServerError",
    "MissingDependencyError",
    "SessionNotFoundError",
    "SessionExistsError",
    "SessionEndedError",
    "SessionConflictError",
    "BackupFormatError",
    "RestoreConflictError",
    "AccessPolicy",
    "AccessDeniedError",
}

PUBLIC_MODULES = {
    "langgraph_genesis_memory",
    "langgraph_genesis_memory.errors",
    "langgraph_genesis_memory.tokens",
    "langgraph_genesis_memory.store",
    "langgraph_genesis_memory.checkpoint",
    "langgraph_genesis_memory.sessions",
    "langgraph_genesis_memory.tools",
    "langgraph_genesis_memory.index",
    "langgraph_genesis_memory.embeddings",
    "langgraph_genesis_memory.local",
    "langgraph_genesis_memory.cli",
    "langgraph_genesis_memory.cli.main",
    "langgraph_genesis_memory.ops",
    "langgraph_genesis_memory.telemetry",
    "langgraph_genesis_memory.server",
    "langgraph_genesis_memory.access",
}


def _all_modules() -> set[str]:
    names = {pkg.__name__}
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}."):
        names.add(info.name)
    return names


def test_the_root_exports_exactly_the_public_names() -> None:
    assert len(pkg.__all__) == len(set(pkg.__all__))
    assert set(pkg.__all__) == ROOT_NAMES


def test_every_non_private_module_is_a_declared_public_module() -> None:
    public = {m for m in _all_modules() if not any(p.startswith("_") for p in m.split("."))}
    assert public == PUBLIC_MODULES


@pytest.mark.parametrize("name", sorted(PUBLIC_MODULES))
def test_public_names_and_methods_are_documented(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring"
    for attr in getattr(module, "__all__", ()):
        obj = getattr(module, attr)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{name}.{attr} has no docstring"
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member_name, member in vars(obj).items():
                func = getattr(member, "__func__", member)
                if not member_name.startswith("_") and inspect.isfunction(func):
                    assert inspect.getdoc(func), f"{name}.{attr}.{member_name} has no docstring"


def test_private_modules_do_not_declare_a_surface() -> None:
    for name in _all_modules():
        if name.rsplit(".", 1)[-1].startswith("_") and not name.endswith("__init__"):
            module = importlib.import_module(name)
            assert not hasattr(module, "__all__"), f"private {name} declares __all__"
