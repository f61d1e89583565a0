"""Flow shapes: what several services share, written once (flows/shapes/NAME.yaml).

A flow file (or a shape) that says `extends: NAME` takes the shape's top-level keys and steps, and
its own stand over them:

- a top-level key of the flow (title, stages, start, ...) replaces the shape's;
- a step of the flow with a `type` replaces the shape's step of that id, or adds one;
- a step of the flow without a `type` amends the shape's step of that id: each key it
  gives replaces that key (`query: {operation: household_proof}`).

The merged document is checked as any flow file; a problem in a part that came from
the shape names the shape's file and line (`where`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.yaml_source import LineDict, LineList, SourceError, load_yaml

SHAPES_DIR = Path(__file__).resolve().parent / "shapes"
MAX_DEPTH = 4  # a shape of a shape of ...: more is a circle


class MergedDict(LineDict):
    """A mapping merged from a flow and its shape: `sources[key]`, the file of each entry."""

    sources: dict[str, Path]


class ShapeError(Exception):
    """The flow's `extends` cannot be followed: `path:line: problem`."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


def extend(document: LineDict, path: Path, folder: Path = SHAPES_DIR, depth: int = 0) -> LineDict:
    """The flow `document` (read from `path`) merged over the shape it extends (which
    may extend another); the document itself when it extends none. Each merged mapping
    records, by key, the file its entry came from (`sources`)."""
    if "extends" not in document:
        return document
    name, line = document["extends"], document.lines["extends"]
    if not isinstance(name, str) or not name.replace("_", "a").isalnum():
        raise ShapeError(path, line, "extends: the name of a shape in flows/shapes/")
    shape_path = folder / f"{name}.yaml"
    if not shape_path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise ShapeError(path, line, f"extends '{name}': no such shape (known: {known})")
    try:
        shape = load_yaml(shape_path)
    except SourceError as exc:
        raise ShapeError(exc.path, exc.line, exc.problem) from None
    if not isinstance(shape, LineDict) or "flow" in shape:
        raise ShapeError(shape_path, getattr(shape, "line", 1),
                         "a shape is a mapping of a flow's keys, without flow:")  # fmt: skip
    if depth >= MAX_DEPTH:
        raise ShapeError(path, line, f"extends '{name}': shapes extend each other in a circle")
    shape = extend(shape, shape_path, folder, depth + 1)
    merged = _over(shape, shape_path, document, path, skip=frozenset({"extends"}))
    steps, base = document.get("steps"), shape.get("steps")
    if isinstance(steps, LineDict) and isinstance(base, LineDict):
        merged["steps"] = _steps(base, shape_path, steps, path)
        merged.lines["steps"], merged.sources["steps"] = document.lines["steps"], path
    return merged


def _steps(base: LineDict, base_path: Path, own: LineDict, path: Path) -> MergedDict:
    steps = _over(base, base_path, own, path)
    for step_id, step in own.items():
        if isinstance(step, LineDict) and "type" not in step:  # an amendment
            shaped = base.get(step_id)
            if isinstance(shaped, LineDict):
                steps[step_id] = _over(shaped, _source(base, step_id, base_path), step, path)
    return steps


def _over(
    base: LineDict, base_path: Path, own: LineDict, path: Path, skip: frozenset[str] = frozenset()
) -> MergedDict:
    """`own`'s entries over `base`'s, in `base`'s order then `own`'s new ones."""
    merged = MergedDict()
    merged.line, merged.lines, merged.sources = base.line, {}, {}
    for key in [*base, *(k for k in own if k not in base and k not in skip)]:
        if key in own:
            merged[key], merged.lines[key], merged.sources[key] = own[key], own.lines[key], path
        else:
            source = _source(base, key, base_path)
            merged[key], merged.lines[key], merged.sources[key] = base[key], base.lines[key], source
    return merged


def _source(mapping: LineDict, key: str, path: Path) -> Path:
    """The file `mapping`'s entry `key` came from (a shape merged over its own shape
    knows it for each entry)."""
    return mapping.sources.get(key, path) if isinstance(mapping, MergedDict) else path


def where(document: Any, location: tuple[str | int, ...], path: Path) -> tuple[Path, int]:
    """The file and line of the deepest entry of `location` in a (merged) document."""
    line, node = getattr(document, "line", 0), document
    for part in location:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            if isinstance(node, MergedDict):
                path = node.sources.get(part, path)
            line, node = node.lines[part], node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.lines[part], node[part]
        else:
            break
    return path, line
