"""Rules on collected data: the `when` of a transition, the `condition` of an option.

A rule is a small Python-like expression over step results, by step id:

    reason == "lost"
    reason in ["damaged", "lost"] and not delivery.by_post
    age >= 16

Allowed: step ids and `.field` / `["key"]` into their results, text, numbers,
`true`/`false`/`none`, lists, comparisons (== != < <= > >= in, not in), and, or,
not. Nothing else (no calls, no attributes of Python objects): a flow file is data,
and a city's technician must not be able to run code with it.

A step not yet visited, or a field it did not collect, reads as `none`; a
comparison that cannot be made (none >= 16) is false.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_CONSTANTS = {
    "true": True,
    "false": False,
    "none": None,
    "True": True,
    "False": False,
    "None": None,
}


class RuleError(ValueError):
    """A rule that cannot be read; the message says what is wrong with it."""


@dataclass(frozen=True)
class Rule:
    source: str
    tree: ast.Expression
    names: frozenset[str]  # the step ids it reads

    def holds(self, data: Mapping[str, Any]) -> bool:
        try:
            return bool(_evaluate(self.tree.body, data))
        except TypeError:
            return False


@functools.lru_cache(maxsize=1024)
def parse_rule(source: str) -> Rule:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise RuleError(f"cannot read rule {source!r}: {exc.msg}") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise RuleError(f"rule {source!r}: {type(node).__name__} is not allowed in a rule")
        if isinstance(node, ast.Name) and node.id not in _CONSTANTS:
            names.add(node.id)
    return Rule(source, tree, frozenset(names))


_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    *_COMPARE,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.List,
    ast.Tuple,
)


def _evaluate(node: ast.AST, data: Mapping[str, Any]) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            return _CONSTANTS[name] if name in _CONSTANTS else data.get(name)
        case ast.Attribute(value=inner, attr=field):
            return _field(_evaluate(inner, data), field)
        case ast.Subscript(value=inner, slice=key):
            return _field(_evaluate(inner, data), _evaluate(key, data))
        case ast.List(elts=items) | ast.Tuple(elts=items):
            return [_evaluate(item, data) for item in items]
        case ast.UnaryOp(op=ast.Not(), operand=inner):
            return not _evaluate(inner, data)
        case ast.UnaryOp(op=ast.USub(), operand=inner):
            return -_evaluate(inner, data)
        case ast.BoolOp(op=ast.And(), values=values):
            return all(_evaluate(v, data) for v in values)
        case ast.BoolOp(op=ast.Or(), values=values):
            return any(_evaluate(v, data) for v in values)
        case ast.Compare(left=left, ops=ops, comparators=rights):
            current = _evaluate(left, data)
            for op, right in zip(ops, rights, strict=True):
                value = _evaluate(right, data)
                if not _COMPARE[type(op)](current, value):
                    return False
                current = value
            return True
    raise RuleError(f"{type(node).__name__} is not allowed in a rule")  # parse_rule stops these


def _field(container: Any, key: Any) -> Any:
    if isinstance(container, Mapping):
        return container.get(key)
    if (
        isinstance(container, list)
        and isinstance(key, int)
        and -len(container) <= key < len(container)
    ):
        return container[key]
    return None
