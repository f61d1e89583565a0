"""Reading flow files: YAML that remembers where each value stood.

Two departures from plain `yaml.safe_load`, both for people editing flows:

- every mapping and list remembers the line of each entry, so an error can name
  the file and the line;
- only `true` and `false` are booleans. YAML 1.1 also reads `on`, `off`, `yes`,
  `no`, `y`, `n` as booleans, which would turn an option id `no` or a step named
  `on` into False.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping with `line` (its own) and `lines[key]` (each entry's), 1-based."""

    line: int = 0
    lines: dict[str, int]


class LineList(list[Any]):
    """A list with `line` and `lines[index]`, 1-based."""

    line: int = 0
    lines: list[int]


class SourceError(Exception):
    """A file that is not the YAML it should be: `path:line: problem`."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


class _Loader(yaml.SafeLoader):
    pass


# Drop YAML 1.1's bool resolver and put back one that knows only true/false.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise SourceError(
                Path(loader.name), key_node.start_mark.line + 1, f"a key must be text, not {key!r}"
            )
        if key in result:
            raise SourceError(
                Path(loader.name),
                key_node.start_mark.line + 1,
                f"'{key}' appears twice (first on line {result.lines[key]})",
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(path: Path) -> Any:
    """Parse a file; raise `SourceError` naming the line for any fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(path, 0, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SourceError(path, 0, "not UTF-8 text") from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise SourceError(path, line, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(path, 0, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def line_of(document: Any, location: tuple[str | int, ...]) -> int:
    """The line of the deepest entry of `location` that exists in `document`."""
    line = getattr(document, "line", 0)
    node = document
    for part in location:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line, node = node.lines[part], node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.lines[part], node[part]
        else:
            break
    return line
