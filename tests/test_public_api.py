"""The public surface is explicit and documented."""

from __future__ import annotations

import inspect

import langgraph_genesis_memory as pkg


def test_all_names_exist_and_are_documented() -> None:
    assert len(pkg.__all__) == len(set(pkg.__all__))
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"


def test_public_methods_are_documented() -> None:
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if not inspect.isclass(obj) or issubclass(obj, BaseException):
            continue
        for attr, member in vars(obj).items():
            if attr.startswith("_"):
                continue
            func = getattr(member, "__func__", member)
            if inspect.isfunction(func):
                assert inspect.getdoc(func), f"{name}.{attr} has no docstring"
