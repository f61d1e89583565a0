"""Debian versions: the comparison held to dpkg's own, on generated pairs."""

from __future__ import annotations

import random
import subprocess

import pytest

from wire.versions import compare_versions, newer, valid_version

_PIECES = ["0", "1", "2", "9", "10", "01", "a", "b", "z", "A", "~", "~~", "+", ".", "rc",
           "beta", "~rc1", "+dfsg", ".0", "00"]  # fmt: skip


def _version(rng: random.Random) -> str:
    epoch = rng.choice(["", "", "", "1:", "2:", "0:"])
    upstream = rng.choice("0123456789") + "".join(rng.choices(_PIECES, k=rng.randint(0, 4)))
    revision = rng.choice(["", "", "-1", "-0", "-2~bpo1", "-1+b1", "-a"])
    return (epoch + upstream + revision)[:40].rstrip("-") or "0"


def _dpkg_order(pairs: list[tuple[str, str]]) -> list[int]:
    script = "".join(
        f"if dpkg --compare-versions '{a}' lt '{b}'; then echo -1; "
        f"elif dpkg --compare-versions '{a}' eq '{b}'; then echo 0; else echo 1; fi\n"
        for a, b in pairs
    )
    done = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True, check=True)
    return [int(line) for line in done.stdout.split()]


def test_the_comparison_is_dpkgs_on_generated_pairs() -> None:
    rng = random.Random(20)
    pairs = [(_version(rng), _version(rng)) for _ in range(300)]
    # pairs that differ in one small way, where the rules are subtle
    pairs += [("1.0", "1.0-0"), ("1.0~rc1", "1.0"), ("1.0", "1.0+b1"), ("1:0.1", "2.0"),
              ("1.01", "1.1"), ("1.0a", "1.0+"), ("1.0~~", "1.0~"), ("0.1.0", "0.1.0-1"),
              ("2.0-1", "2.0-1~bpo1"), ("1.2.10", "1.2.9"), ("1.0-a", "1.0-1")]  # fmt: skip
    assert all(valid_version(a) and valid_version(b) for a, b in pairs), pairs
    ours = [compare_versions(a, b) for a, b in pairs]
    theirs = _dpkg_order(pairs)
    wrong = [(a, b, o, t) for (a, b), o, t in zip(pairs, ours, theirs, strict=True) if o != t]
    assert wrong == []
    assert len(set(ours)) == 3  # the pairs cover older, same and newer


@pytest.mark.parametrize(
    "text",
    ["", "a1.0", "1.0-", "1.0 ", "1.0\n", "-1", "1:", ":1.0", "1.0/../x", "1_0", "1" * 41,
     "1.0;rm -rf /", "１.0", None, 1],
)  # fmt: skip
def test_what_is_not_a_version(text: object) -> None:
    assert not valid_version(text)
    if isinstance(text, str):
        with pytest.raises(ValueError, match="not a Debian version"):
            compare_versions(text, "1.0")


def test_valid_versions_and_newer() -> None:
    for text in ("0.1.0", "1:2.3-4", "2.0~rc1+dfsg-1~bpo12+1", "1" * 40):
        assert valid_version(text)
    assert newer("0.2.0", "0.1.0") and not newer("0.1.0", "0.1.0")
    assert not newer("0.2.0~rc1", "0.2.0")
