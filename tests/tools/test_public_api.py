"""Every public name of the tools, sessions and tokens modules is documented."""

from __future__ import annotations

import inspect

import pytest

import langgraph_genesis_memory.sessions as sessions
import langgraph_genesis_memory.tokens as tokens
import langgraph_genesis_memory.tools as tools
from langgraph_genesis_memory.tools import scripted


@pytest.mark.parametrize("module", [tools, sessions, tokens, scripted])
def test_public_names_have_docstrings(module) -> None:
    assert module.__doc__
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"


def test_documented_public_methods() -> None:
    for cls in (sessions.SessionManager, sessions.SessionContext, tools.NamespaceTemplate):
        for name, member in vars(cls).items():
            if not name.startswith("_") and callable(member):
                assert inspect.getdoc(member), f"{cls.__name__}.{name} has no docstring"
