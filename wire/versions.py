"""Debian package versions, as the terminal reports them and the backend stages them
(`wire.__version__` is always also the package's Debian version).

The comparison is dpkg's own algorithm (lib/dpkg/version.c), so the backend needs no
dpkg on its path; tests hold it to `dpkg --compare-versions`."""

from __future__ import annotations

import re

# [epoch:]upstream[-revision]: the upstream part starts with a digit; a hyphen only
# where a revision follows. No longer than a Heartbeat's software_version.
VERSION = r"^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*$"
VERSION_MAX = 40
_VERSION = re.compile(VERSION)


def valid_version(text: object) -> bool:
    """A Debian version of at most VERSION_MAX characters (nothing else is ever
    written where a root script reads it)."""
    return (
        isinstance(text, str)
        and len(text) <= VERSION_MAX
        and _VERSION.fullmatch(text) is not None
        and not text.endswith("-")
    )


def compare_versions(a: str, b: str) -> int:
    """Negative, zero or positive as `a` is older than, the same as or newer than `b`
    (`dpkg --compare-versions`). Both must be valid_version (ValueError otherwise)."""
    for version in (a, b):
        if not valid_version(version):
            raise ValueError(f"not a Debian version: {version!r}")
    (epoch_a, upstream_a, revision_a), (epoch_b, upstream_b, revision_b) = _parts(a), _parts(b)
    if epoch_a != epoch_b:
        return -1 if epoch_a < epoch_b else 1
    return _sign(_verrevcmp(upstream_a, upstream_b) or _verrevcmp(revision_a, revision_b))


def newer(a: str, b: str) -> bool:
    return compare_versions(a, b) > 0


def _parts(version: str) -> tuple[int, str, str]:
    epoch, _, rest = version.rpartition(":") if ":" in version else ("0", "", version)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch), upstream, revision


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _digit(c: str) -> bool:
    return "0" <= c <= "9"


def _order(c: str) -> int:
    """A character's weight outside a run of digits: '~' before the end, the end (and
    digits) before letters, letters before the rest."""
    if c == "" or _digit(c):
        return 0
    if c.isascii() and c.isalpha():
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not _digit(a[i])) or (j < len(b) and not _digit(b[j])):
            ac, bc = _order(a[i:i + 1]), _order(b[j:j + 1])  # fmt: skip
            if ac != bc:
                return ac - bc
            i, j = i + 1, j + 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and _digit(a[i]) and j < len(b) and _digit(b[j]):
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i, j = i + 1, j + 1
        if i < len(a) and _digit(a[i]):
            return 1
        if j < len(b) and _digit(b[j]):
            return -1
        if first_diff:
            return first_diff
    return 0
