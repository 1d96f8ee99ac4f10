"""What values one parameter of one function is ever given, read from the package's
source: every call of the function is found, and an argument that is itself a parameter
of its caller (a wrapper passing it on) is followed to the caller's own calls, so the
values come from where they are written, however many functions pass them along.

An argument is read as it is written: a string; an enum member or a module constant
(looked up in its module); an f-string (every combination of its parts' values); either
branch of `a if c else b`; a local name (every value assigned to it in the function).
Anything else is named in `unread`, for the test to fail on: a value this cannot read
is a value that could go unnamed."""

from __future__ import annotations

import ast
import importlib
import itertools
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType

import huzhu


@dataclass
class _Module:
    name: str
    tree: ast.Module
    module: ModuleType

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Local name → the module (or module.function) it stands for."""
        found: dict[str, str] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    found[alias.asname or alias.name] = alias.name
        return found

    def callee(self, call: ast.Call) -> str | None:
        """The dotted name of what a call calls, where it is a function of a module."""
        func = call.func
        if isinstance(func, ast.Name):
            return self.aliases.get(func.id, f"{self.name}.{func.id}")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = self.aliases.get(func.value.id)
            return f"{owner}.{func.attr}" if owner else None
        return None


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    return [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]


def _default(fn: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> ast.expr | None:
    positional = [*fn.args.posonlyargs, *fn.args.args]
    defaults = dict(zip([a.arg for a in positional][::-1], fn.args.defaults[::-1], strict=False))
    for arg, value in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
        if value is not None:
            defaults[arg.arg] = value
    return defaults.get(param)


@dataclass
class Arguments:
    """`Arguments().given("huzhu.audit.service.record", "action")`."""

    modules: list[_Module] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for found in pkgutil.walk_packages(huzhu.__path__, "huzhu."):
            if found.name.startswith("huzhu.migrations"):
                continue
            module = importlib.import_module(found.name)
            if module.__file__ and module.__file__.endswith(".py"):
                with open(module.__file__, encoding="utf-8") as source:
                    tree = ast.parse(source.read())
                self.modules.append(_Module(found.name, tree, module))

    def given(self, function: str, param: str) -> set[str]:
        return self._given(function, param, seen=set())

    def _given(self, function: str, param: str, *, seen: set[tuple[str, str]]) -> set[str]:
        if (function, param) in seen:
            return set()
        seen.add((function, param))
        module_name, _, name = function.rpartition(".")
        definition = self._definition(module_name, name)
        index = [a.arg for a in _params(definition)].index(param) if definition else -1
        values: set[str] = set()
        if definition is not None and (default := _default(definition, param)) is not None:
            values |= self._read(default, self._module(module_name), None, seen)
        for module, caller, call in self._calls_of(function):
            argument = next((k.value for k in call.keywords if k.arg == param), None)
            if argument is None and 0 <= index < len(call.args):
                argument = call.args[index]
            if argument is not None:
                values |= self._read(argument, module, caller, seen)
        return values

    def _module(self, name: str) -> _Module:
        return next(m for m in self.modules if m.name == name)

    def _definition(self, module: str, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        found = [m for m in self.modules if m.name == module]
        if not found:
            return None
        return next((f for f in _functions(found[0].tree) if f.name == name), None)

    def _calls_of(
        self, function: str
    ) -> Iterator[tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef | None, ast.Call]]:
        for module in self.modules:
            inside: dict[ast.Call, ast.FunctionDef | ast.AsyncFunctionDef] = {}
            for fn in _functions(module.tree):
                for node in ast.walk(fn):
                    if isinstance(node, ast.Call):
                        inside[node] = fn  # the innermost function is walked last
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Call) and module.callee(node) == function:
                    yield module, inside.get(node), node

    def _read(
        self,
        node: ast.expr,
        module: _Module,
        fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
        seen: set[tuple[str, str]],
    ) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return self._read(node.body, module, fn, seen) | self._read(
                node.orelse, module, fn, seen
            )
        if isinstance(node, ast.JoinedStr):
            parts = [
                self._read(p.value if isinstance(p, ast.FormattedValue) else p, module, fn, seen)
                for p in node.values
            ]
            return {"".join(combination) for combination in itertools.product(*parts)}
        if isinstance(node, ast.Name) and fn is not None:
            if node.id in {a.arg for a in _params(fn)}:
                return self._given(f"{module.name}.{fn.name}", node.id, seen=seen)
            assigned = [
                a.value
                for a in ast.walk(fn)
                if isinstance(a, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
            ]
            if assigned:
                return set().union(*(self._read(a, module, fn, seen) for a in assigned))
        if isinstance(node, ast.Name | ast.Attribute):
            try:
                value = eval(ast.unparse(node), vars(module.module))  # noqa: S307 (our source)
            except NameError:
                value = None
            if isinstance(value, str):
                return {str(value)}
        self.unread.append(f"{module.name}: {ast.unparse(node)}")
        return set()
