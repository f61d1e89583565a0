"""The spec table (specs.toml) as typed objects: a spec by name, or a spec file of
a city's own that `extends` one of ours, changes numbers and may `omit` rules."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

TABLE = Path(__file__).with_name("specs.toml")
MM_PER_INCH = 25.4


class SpecError(ValueError):
    """A spec that does not exist or does not hold together; one line says why."""


class Rule(BaseModel):
    """One check's thresholds, and why they are what they are."""

    model_config = ConfigDict(extra="allow")
    why: str

    def number(self, name: str) -> float:
        return float(getattr(self, name))

    def optional(self, name: str) -> float | None:
        value = getattr(self, name, None)
        return None if value is None else float(value)


class PhotoSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    width_px: int = Field(gt=0, le=4000)
    height_px: int = Field(gt=0, le=4000)
    dpi: int = Field(ge=72, le=1200)
    print_mm: tuple[float, float]
    file_kb: tuple[int, int]
    sizing: Literal["face_width", "head_height"]
    background: tuple[int, int, int]
    sheet_count: int = 8
    rules: dict[str, Rule] = Field(default_factory=dict)
    # geometry: what a spec states of these is checked on the output
    face_width_px: tuple[int, int] | None = None
    crown_px: tuple[int, int] | None = None
    eye_line_min_from_bottom_px: int | None = None
    head_height_ratio: tuple[float, float] | None = None
    eye_line_from_bottom_ratio: tuple[float, float] | None = None
    face_centre_ratio: tuple[float, float] | None = None
    head_height_mm: tuple[float, float] | None = None
    crown_mm: tuple[float, float] | None = None
    chin_min_from_bottom_mm: float | None = None
    head_width_mm: tuple[float, float] | None = None

    def px(self, mm: float) -> float:
        return mm / MM_PER_INCH * self.dpi

    def has(self, code: str) -> bool:
        return code in self.rules

    def rule(self, code: str) -> Rule:
        return self.rules[code]

    # the crop's targets, in output pixels -------------------------------------------

    def head_height_window(self) -> tuple[float, float] | None:
        if self.head_height_mm:
            return self.px(self.head_height_mm[0]), self.px(self.head_height_mm[1])
        if self.head_height_ratio:
            return self.head_height_ratio[0] * self.height_px, self.head_height_ratio[1] * (
                self.height_px
            )
        return None

    def crown_window(self) -> tuple[float, float] | None:
        if self.crown_px:
            return float(self.crown_px[0]), float(self.crown_px[1])
        if self.crown_mm:
            return self.px(self.crown_mm[0]), self.px(self.crown_mm[1])
        return None


def _raw_table() -> dict[str, Any]:
    return tomllib.loads(TABLE.read_text(encoding="utf-8"))


@cache
def names() -> tuple[str, ...]:
    return tuple(_raw_table())


def load(name_or_file: str) -> PhotoSpec:
    """A spec by name (`id_card`, `exit_entry`, `icao`) or from a TOML file."""
    table = _raw_table()
    if name_or_file in table:
        return _build(name_or_file, table[name_or_file], table, str(TABLE))
    path = Path(name_or_file)
    if not path.is_file():
        raise SpecError(
            f"no photo spec '{name_or_file}': a name ({', '.join(table)}) or a .toml file"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: {exc}") from None
    return _build(path.stem, raw, table, str(path))


def _build(name: str, raw: dict[str, Any], table: dict[str, Any], where: str) -> PhotoSpec:
    raw = dict(raw)
    rules: dict[str, Any] = {}
    parent = raw.pop("extends", None)
    if parent is not None:
        if parent not in table:
            raise SpecError(f"{where}: extends '{parent}', which is not a spec")
        base = table[parent]
        rules.update(base.get("rules", {}))
        # a file of a city's own may take everything else from the spec it extends
        if where != str(TABLE):
            raw = {**{k: v for k, v in base.items() if k not in ("rules", "extends")}, **raw}
            if "extends" in base:
                rules = {**table[base["extends"]].get("rules", {}), **rules}
    rules.update(raw.pop("rules", {}))
    for code in raw.pop("omit", []):
        if code not in rules:
            raise SpecError(f"{where}: omit '{code}', which is not a rule of this spec")
        del rules[code]
    try:
        return PhotoSpec(name=name, rules=rules, **raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise SpecError(f"{where}: {key}: {first['msg']}") from None
