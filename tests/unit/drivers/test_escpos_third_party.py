"""The receipt printer simulator against a driver we did not write: python-escpos.

A vendor tests a third-party driver against the simulator; if the simulator did
not know a command's length its parameters would print as text. Here the command
table is checked command by command, then python-escpos prints hundreds of
generated jobs (text with Chinese, styles, QR codes, images in all three formats,
barcodes, cuts) and the simulator must read back exactly what was sent: the same
lines, the same QR payloads, the same pixels, and no unknown command. A few jobs
go through the simulator's pty as they would from a real application.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from escpos import constants as c
from escpos.printer import Dummy, Serial
from PIL import Image, ImageChops
from pyzbar.pyzbar import decode as read_qr

from drivers.receipt_printer import escpos_commands as cmd
from drivers.receipt_printer.simulator import _HANDLERS, EscPosSimulator, PrinterProfile

H = bytes.fromhex
FS_CHINESE_ON, FS_CHINESE_OFF = b"\x1c&", b"\x1c."

# --- the command table ------------------------------------------------------------

# One whole example of every command of the table; parameters are mostly 0x41
# ("A"), so a parameter printed as text would show on the slip.
EXAMPLES: dict[str, bytes] = {
    "DLE EOT": H("100401"),
    "DLE ENQ": H("100501"),
    "DLE DC4 1": H("10140100 01"),
    "DLE DC4 2": H("10140201 08"),
    "DLE DC4 3": H("10140300 00000100"),
    "DLE DC4 7": H("10140701"),
    "DLE DC4 8": H("10140801 03140106 0208"),
    "ESC FF": H("1b0c"),
    "ESC SP": H("1b2041"),
    "ESC !": H("1b2141"),
    "ESC $": H("1b244142"),
    "ESC %": H("1b2541"),
    "ESC &": H("1b26034142 02414141414141 01414141"),  # 'A' two columns, 'B' one
    "ESC ( A": H("1b284104003041 4243"),
    "ESC ( Y": H("1b2859020030 31"),
    "ESC *": H("1b2a210200 414141414141"),  # 24-dot: three bytes a column
    "ESC +": H("1b2b41"),
    "ESC -": H("1b2d41"),
    "ESC 2": H("1b32"),
    "ESC 3": H("1b3341"),
    "ESC <": H("1b3c"),
    "ESC =": H("1b3d01"),
    "ESC ?": H("1b3f41"),
    "ESC @": H("1b40"),
    "ESC A": H("1b4141"),
    "ESC B": H("1b420204"),
    "ESC D": H("1b44081000"),
    "ESC E": H("1b4541"),
    "ESC G": H("1b4741"),
    "ESC J": H("1b4a41"),
    "ESC K": H("1b4b41"),
    "ESC L": H("1b4c"),
    "ESC M": H("1b4d41"),
    "ESC R": H("1b5241"),
    "ESC S": H("1b53"),
    "ESC T": H("1b5441"),
    "ESC U": H("1b5541"),
    "ESC V": H("1b5641"),
    "ESC W": H("1b57 4141414141414141"),
    "ESC \\": H("1b5c4142"),
    "ESC a": H("1b6141"),
    "ESC c 0": H("1b633041"),
    "ESC c 1": H("1b633141"),
    "ESC c 3": H("1b633341"),
    "ESC c 4": H("1b633441"),
    "ESC c 5": H("1b633541"),
    "ESC d": H("1b6401"),
    "ESC e": H("1b6501"),
    "ESC f": H("1b664142"),
    "ESC i": H("1b69"),
    "ESC m": H("1b6d"),
    "ESC p": H("1b70004142"),
    "ESC r": H("1b7241"),
    "ESC t": H("1b7441"),
    "ESC u": H("1b7541"),
    "ESC v": H("1b76"),
    "ESC {": H("1b7b41"),
    "FS !": H("1c2141"),
    "FS &": H("1c26"),
    "FS ( A": H("1c2841020030 41"),
    "FS ( C": H("1c2843020030 01"),
    "FS ( E": H("1c2845030030 4141"),
    "FS ( L": H("1c284c020021 30"),
    "FS ( e": H("1c2865020033 41"),
    "FS -": H("1c2d41"),
    "FS .": H("1c2e"),
    "FS 2": H("1c324142") + b"A" * 72,
    "FS ?": H("1c3f4142"),
    "FS C": H("1c4341"),
    "FS S": H("1c534142"),
    "FS W": H("1c5741"),
    "FS g 1": H("1c673100 00000000 0300 414243"),
    "FS g 2": H("1c673200 00000000 0300"),
    "FS p": H("1c700141"),
    "FS q": H("1c7101 01000100") + b"A" * 8,
    "GS !": H("1d2100"),
    "GS $": H("1d244142"),
    "GS ( A": H("1d284102003041"),
    "GS ( C": H("1d284303003041 42"),
    "GS ( D": H("1d284403001401 01"),
    "GS ( E": H("1d284503000141 41"),
    "GS ( H": H("1d284806003030 41414141"),
    "GS ( K": H("1d284b02003041"),
    "GS ( L": H("1d284c03003041 42"),
    "GS ( M": H("1d284d02000141"),
    "GS ( N": H("1d284e03003041 41"),
    "GS ( P": H("1d285002003041"),
    "GS ( Q": H("1d285103003041 42"),
    "GS ( k": H("1d286b03003141 41"),
    "GS ( z": H("1d287a02003041"),
    "GS *": H("1d2a0101") + b"A" * 8,
    "GS /": H("1d2f41"),
    "GS :": H("1d3a"),
    "GS 8 L": H("1d384c03000000 304142"),
    "GS B": H("1d4241"),
    "GS C 0": H("1d43304142"),
    "GS C 1": H("1d4331 414141414141"),
    "GS C 2": H("1d43324142"),
    "GS E": H("1d4541"),
    "GS H": H("1d4841"),
    "GS I": H("1d4941"),
    "GS L": H("1d4c4142"),
    "GS P": H("1d504142"),
    "GS T": H("1d5441"),
    "GS V": H("1d564141"),  # feed n and cut
    "GS W": H("1d574142"),
    "GS \\": H("1d5c4142"),
    "GS ^": H("1d5e414243"),
    "GS a": H("1d6141"),
    "GS b": H("1d6241"),
    "GS c": H("1d63"),
    "GS f": H("1d6641"),
    "GS g 0": H("1d67300041 42"),
    "GS g 2": H("1d67320041 42"),
    "GS h": H("1d6841"),
    "GS j": H("1d6a41"),
    "GS k": H("1d6b04 41423132 00"),  # CODE39 "AB12", NUL-terminated
    "GS r": H("1d7241"),
    "GS v 0": H("1d763000 01000200 ff00"),
    "GS w": H("1d7741"),
    "GS z 0": H("1d7a304142"),
    "GS |": H("1d7c41"),
}

# Further forms of the commands whose length depends on their parameters.
FORMS: list[tuple[str, bytes]] = [
    ("DLE EOT", H("10040701")),  # n = 7 takes one more byte
    ("ESC *", H("1b2a000300 414141")),  # 8-dot: one byte a column
    ("ESC D", H("1b44") + bytes(range(1, 33))),  # 32 positions end it without a NUL
    ("GS V", H("1d5600")),
    ("GS V", H("1d5631")),
    ("GS V", H("1d564200")),
    ("GS V", H("1d566841")),
    ("GS k", H("1d6b4904 7b424142")),  # CODE128 "{BAB", counted
    ("GS k", H("1d6b0241") + b"1" * 254),  # 255 bytes and no NUL: over
    ("GS ( k", H("1d286b06003150 30542d31")),  # store "T-1"
    ("GS 8 L", H("1d384c0b000000 3070300101 31 0100 0100 80")),  # a 1x1 image
]


def test_every_command_of_the_table_has_an_example() -> None:
    assert set(EXAMPLES) == set(cmd.NAMES.values())
    assert len(cmd.COMMANDS) == len(EXAMPLES) >= 120


def test_every_command_the_simulator_acts_on_is_in_the_table() -> None:
    controls = {bytes([byte]) for byte in cmd.CONTROLS}
    assert set(_HANDLERS) <= set(cmd.COMMANDS) | controls


@pytest.mark.parametrize(("name", "data"), [*EXAMPLES.items(), *FORMS])
def test_each_command_is_as_long_as_the_reference_says(name: str, data: bytes) -> None:
    token = cmd.next_token(data + b"AB\n")
    assert token is not None
    assert (token.kind, token.name, token.data) == ("command", name, data)
    after = cmd.next_token(data + b"AB\n", len(data))
    assert after is not None and after.data == b"AB"
    for cut in range(1, len(data)):  # a command split between reads waits for the rest
        assert cmd.next_token(data[:cut]) is None, data[:cut]


@pytest.mark.parametrize(
    "control", [b"\n", b"\r", b"\t", b"\x0c", b"\x18", b"\x00", b"\x07", b"\x0b"]
)
def test_control_bytes_are_one_byte_commands(control: bytes) -> None:
    token = cmd.next_token(control + b"A")
    assert token is not None and token.kind == "command" and token.data == control


@pytest.mark.parametrize(
    ("data", "skipped", "name"),
    [
        (H("1b7f41"), 3, "ESC 0x7f"),  # unknown: one parameter byte
        (H("1b7f1b40"), 2, "ESC 0x7f"),  # ... unless it starts the next command
        (H("1d285803004142 43"), 8, "GS ( X"),  # a ( function: pL pH say how long
        (H("1b28580100 41"), 6, "ESC ( X"),
        (H("1c28580200 4142"), 7, "FS ( X"),
        (H("1b633941"), 4, "ESC c 9"),  # ESC c x n, x unknown
        (H("10140541"), 4, "DLE DC4 0x05"),
        (H("1d763141"), 4, "GS v 1"),
        (H("1041"), 1, "DLE"),  # a stray DLE
        (H("1b0a"), 1, "ESC"),  # ESC and a control byte: the control byte stays
        (H("01"), 1, "0x01"),
    ],
)
def test_an_unknown_command_is_skipped_by_its_documented_length(
    data: bytes, skipped: int, name: str
) -> None:
    token = cmd.next_token(data + b"Z\n")
    assert token is not None
    assert (token.kind, token.name, len(token.data)) == ("unknown", name, skipped)


def test_python_escpos_constants_are_whole_known_commands() -> None:
    """Every ready-made command python-escpos has is one or more whole commands."""
    styles = [v for group in c.TXT_STYLE.values() for v in group.values()]
    sequences = [s for s in styles if isinstance(s, bytes)] + [
        c.HW_INIT,
        c.HW_SELECT,
        c.HW_RESET,
        c.CD_KICK_2,
        c.CD_KICK_5,
        c.PAPER_FULL_CUT,
        c.PAPER_PART_CUT,
        c.PANEL_BUTTON_ON,
        c.PANEL_BUTTON_OFF,
        c.LINE_DISPLAY_OPEN,
        c.LINE_DISPLAY_CLOSE,
        c.SHEET_SLIP_MODE,
        c.SHEET_ROLL_MODE,
        c.SLIP_EJECT,
        c.TXT_FONT_A,
        c.TXT_FONT_B,
        c.LINESPACING_RESET,
        c.BARCODE_TXT_OFF,
        c.BARCODE_TXT_BTH,
        c.BARCODE_FONT_B,
        c.RT_STATUS_ONLINE,
        c.RT_STATUS_PAPER,
        c.BUZZER + b"\x02\x04",
        c.CODEPAGE_CHANGE + b"\x41",
        c.BARCODE_HEIGHT + b"\x41",
        c.BARCODE_WIDTH + b"\x03",
        c.TXT_SIZE + b"\x11",
        *(f + b"\x41" for f in c.LINESPACING_FUNCS.values()),
        *(t + b"0\x00" for t in c.BARCODE_TYPE_A.values()),
        *(t + b"\x01A" for t in c.BARCODE_TYPE_B.values()),
        c.S_RASTER_N + H("0100 0100 ff"),
    ]
    for sequence in sequences:
        found = list(cmd.tokens(sequence))
        assert [t.kind for t in found] == ["command"] * len(found), (sequence, found)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_no_parameter_reaches_the_slip(name: str, tmp_path: Path) -> None:
    """The bug: `ESC t n`, `ESC ! n`, `FS &`, `GS B n`... printed their n as text."""
    sim = EscPosSimulator(folder=tmp_path)
    sim.handle(b"\x1b@" + EXAMPLES[name] + b"ok\n\x1dV\x00")
    lines = [line for slip in sim.slips for line in slip.lines]
    assert lines[-1] == "ok" and all("A" not in line for line in lines if line[:1] != "["), lines
    assert sim.unknown_commands == 0


def test_an_unknown_command_is_counted_and_its_parameter_not_printed(tmp_path: Path) -> None:
    sim = EscPosSimulator(folder=tmp_path)
    sim.handle(H("1b7f41 1d285803004142 43") + b"ok\n" + H("1d5600"))
    assert sim.slips[0].lines == ["ok"] and sim.unknown_commands == 2


# --- the printer's text modes -------------------------------------------------------


def test_chinese_mode_then_code_tables_then_utf8(tmp_path: Path) -> None:
    sim = EscPosSimulator(folder=tmp_path)
    sim.handle("中文\n".encode("gb18030"))  # Chinese mode from power on
    sim.handle(FS_CHINESE_OFF + b"\x1bt\x11" + "Жар\n".encode("cp866"))
    sim.handle(b"\x1bt\x00" + "héllo\n".encode("cp437"))
    sim.handle(FS_CHINESE_ON + "汉字 é\n".encode("gb18030"))
    sim.handle(H("1c2843020030 02") + "UTF-8 ✓ 中\n".encode())
    sim.handle(H("1d5600"))
    assert sim.slips[0].lines == ["中文", "Жар", "héllo", "汉字 é", "UTF-8 ✓ 中"]


def test_text_for_the_customer_display_is_not_printed(tmp_path: Path) -> None:
    printer = Dummy()
    printer.linedisplay("TOTAL 12.00")
    printer.textln("receipt")
    printer.cut()
    sim = EscPosSimulator(folder=tmp_path)
    sim.handle(printer.output)
    assert sim.slips[0].lines == ["receipt"]


def test_initialising_drops_the_unprinted_line(tmp_path: Path) -> None:
    sim = EscPosSimulator(folder=tmp_path)
    sim.handle(b"lost\x1b@kept\n\x1dV\x00")
    assert sim.slips[0].lines == ["kept"]


def test_the_printer_answers_status_and_id_requests(tmp_path: Path) -> None:
    sim = EscPosSimulator(PrinterProfile(paper_mm=100.0, near_end_mm=200.0), folder=tmp_path)
    assert sim.handle(H("1d7201 1d7202 1b76 1d4901 1d4902")) == H("03 00 03 20 02")
    sim.profile.paper_mm = 0.0
    assert sim.handle(H("1d7231 100404")) == H("0f 7e")


# --- generated jobs from python-escpos ----------------------------------------------

CASES = 300
LATIN = "éèêàâüöäßñçÅøæ£¥ÀÉÖÜ½абвгдеЖЗИЙαβγδΩΣłżśćńąęｱｲｳｴｵ€"
ASCII = "".join(chr(i) for i in range(0x20, 0x7F))


def cjk(rng: random.Random) -> str:
    return chr(rng.randint(0x4E00, 0x9FA5))  # what python-escpos sends as GB18030


def random_line(rng: random.Random) -> str:
    size = rng.choice([0, 1, 5, 20, 60])
    if rng.random() < 0.5:  # Chinese: the whole line goes as GB18030
        chars = [cjk(rng) if rng.random() < 0.5 else rng.choice(ASCII + LATIN) for _ in range(size)]
        return "".join(chars) + cjk(rng)
    return "".join(
        rng.choice(ASCII) if rng.random() < 0.7 else rng.choice(LATIN) for _ in range(size)
    )


def random_style(rng: random.Random) -> dict[str, Any]:
    options: dict[str, Any] = {
        "align": rng.choice(["left", "center", "right"]),
        "font": rng.choice(["a", "b"]),
        "bold": rng.random() < 0.5,
        "underline": rng.randint(0, 2),
        "density": rng.randint(0, 8),
        "invert": rng.random() < 0.5,
        "smooth": rng.random() < 0.5,
        "flip": rng.random() < 0.5,
        "double_width": rng.random() < 0.5,
        "double_height": rng.random() < 0.5,
        "normal_textsize": rng.random() < 0.5,
    }
    chosen = dict(rng.sample(sorted(options.items()), rng.randint(1, len(options))))
    if rng.random() < 0.3:
        chosen = {"custom_size": True, "width": rng.randint(1, 8), "height": rng.randint(1, 8)}
    return chosen


def random_picture(rng: random.Random) -> Image.Image:
    width, height = rng.randint(1, 140), rng.randint(1, 70)
    picture = Image.new("1", (width, height), 1)
    picture.putdata([0 if rng.random() < 0.3 else 1 for _ in range(width * height)])
    return picture


BARCODES = [  # python-escpos name, our name, a valid code, function type
    ("EAN13", "EAN13", lambda r: "".join(r.choices("0123456789", k=12)), "A"),
    ("EAN8", "EAN8", lambda r: "".join(r.choices("0123456789", k=7)), "B"),
    ("UPC-A", "UPC-A", lambda r: "".join(r.choices("0123456789", k=11)), "A"),
    ("CODE39", "CODE39", lambda r: "".join(r.choices("ABC0123 -.$", k=r.randint(1, 20))), "A"),
    ("ITF", "ITF", lambda r: "".join(r.choices("0123456789", k=2 * r.randint(1, 8))), "B"),
    ("CODE93", "CODE93", lambda r: "".join(r.choices(ASCII, k=r.randint(1, 20))), "B"),
    ("CODE128", "CODE128", lambda r: "{B" + "".join(r.choices(ASCII, k=r.randint(1, 30))), "B"),
]


@dataclass
class Job:
    """What python-escpos was asked to print, slip by slip."""

    printer: Dummy = field(default_factory=Dummy)
    slips: list[list[str]] = field(default_factory=lambda: [[]])
    pictures: dict[tuple[int, int], Image.Image] = field(default_factory=dict)
    qr_images: dict[tuple[int, int], str] = field(default_factory=dict)  # their payloads
    cuts: list[str] = field(default_factory=list)

    def expect(self, line: str) -> None:
        self.slips[-1].append(line)

    def expect_image(self, size: str, picture: Image.Image | None = None, qr: str = "") -> None:
        """`size` "WxH", or "?x?" where python-escpos's QR renderer chooses it."""
        slip = len(self.slips)
        image = sum(1 for line in self.slips[-1] if line.startswith("[raster")) + 1
        self.expect(f"[raster {size} -> slip-{slip}-image-{image}.png]")
        if picture is not None:
            self.pictures[(slip, image)] = picture
        if qr:
            self.qr_images[(slip, image)] = qr


def same_line(got: str, want: str) -> bool:
    if "?x?" not in want:
        return got == want
    return re.fullmatch(re.escape(want).replace(re.escape("?x?"), r"\d+x\d+"), got) is not None


def generate(rng: random.Random) -> Job:
    job = Job()
    p = job.printer
    p.hw("INIT")
    for _ in range(rng.randint(1, 3)):
        for _ in range(rng.randint(2, 10)):
            _operation(job, rng, rng.random())
        full, fed = rng.random() < 0.5, rng.random() < 0.8
        p.cut(mode="FULL" if full else "PART", feed=fed)
        # without the feed python-escpos always sends GS V 66 0: feed and cut partially
        job.cuts.append("[cut]" if full and fed else "[cut partial]")
        job.slips.append([])
    job.slips.pop()
    return job


def _operation(job: Job, rng: random.Random, roll: float) -> None:
    p = job.printer
    if roll < 0.40:
        line = random_line(rng)
        p._raw(FS_CHINESE_ON if any("\u4e00" <= ch <= "\u9fa5" for ch in line) else FS_CHINESE_OFF)
        if rng.random() < 0.8:
            p.textln(line)
            job.expect(line)
        else:  # no LF: ESC d prints the line (an empty one is only paper fed)
            p.text(line)
            p.print_and_feed(rng.randint(0, 3))
            if line:
                job.expect(line)
    elif roll < 0.55:
        p.set(**random_style(rng))
    elif roll < 0.65:
        payload = "".join(
            rng.choice(ASCII + "\n") if rng.random() < 0.7 else cjk(rng)
            for _ in range(rng.randint(1, 120))
        )
        model = rng.choice([1, 2, 3])  # 3: micro QR
        p.qr(payload, native=True, ec=rng.randint(0, 3), size=rng.randint(1, 16), model=model)
        job.expect(f"[qr:{payload}]")
    elif roll < 0.75:
        picture, impl = random_picture(rng), rng.choice(["raster", "graphics", "column"])
        dense = rng.random() < 0.5
        if impl == "raster":  # GS v 0: whole bytes a row
            p.image(picture, impl="bitImageRaster", high_density_vertical=dense)
            job.expect_image(f"{(picture.width + 7) // 8 * 8}x{picture.height}", picture)
        elif impl == "graphics":  # GS ( L: the width in dots
            p.image(picture, impl="graphics", high_density_horizontal=dense)
            job.expect_image(f"{picture.width}x{picture.height}", picture)
        else:  # ESC *: whole stripes of 24 (or 8) dots
            p.image(picture, impl="bitImageColumn", high_density_vertical=dense)
            stripe = 24 if dense else 8
            job.expect_image(f"{picture.width}x{-(-picture.height // stripe) * stripe}", picture)
    elif roll < 0.82:
        name, ours, code, function = rng.choice(BARCODES)
        data = code(rng)
        p.barcode(data, name, function_type=function, align_ct=rng.random() < 0.5)
        job.expect(f"[barcode:{ours}:{data}]")
    elif roll < 0.85:  # a QR code sent as an image (python-escpos's default)
        payload = "".join(rng.choices(ASCII, k=rng.randint(1, 40)))
        p.qr(payload, size=4)  # sent as LF, the image, LF, LF
        job.expect("")
        job.expect_image("?x?", qr=payload)
        job.expect("")
        job.expect("")
    elif roll < 0.90:
        count = rng.randint(0, 3)
        p.ln(count)
        for _ in range(count):
            job.expect("")
    else:
        _misc(p, rng)


def _misc(p: Dummy, rng: random.Random) -> None:
    """Commands python-escpos has that print nothing (the printer must not either)."""
    action = rng.randrange(11)
    if action == 0:
        p.cashdraw(rng.choice([2, 5]))
    elif action == 1:
        p.buzzer(rng.randint(1, 9), rng.randint(1, 9))
    elif action == 2:
        p.control("HT", rng.randint(1, 5), rng.randint(1, 8))
    elif action == 3:
        p.control(rng.choice(["CR", "FF", "VT"]))
    elif action == 4:
        divisor = rng.choice([60, 180, 360])
        p.line_spacing(rng.randint(0, 85), divisor) if rng.random() < 0.7 else p.line_spacing()
    elif action == 5:
        p.panel_buttons(rng.random() < 0.5)
    elif action == 6:
        p.hw(rng.choice(["SELECT", "RESET"]))
    elif action == 7:
        p.linedisplay("".join(rng.choices("ABC 123", k=8)))  # ASCII: no code table change
    elif action == 8:
        p.target("ROLL")
    elif action == 9:
        p.print_and_feed(rng.randint(0, 5))
    else:
        p.set_with_default()


def feed(sim: EscPosSimulator, data: bytes, rng: random.Random) -> None:
    """In pieces of any size, as reads from a serial line come."""
    pos = 0
    while pos < len(data):
        size = rng.choice([1, 3, 17, 256, 4096])
        sim.handle(data[pos : pos + size])
        pos += size


def picture_problem(printed: Path, sent: Image.Image) -> str | None:
    """None when the printed image has the sent one's ink, and none elsewhere."""
    got = Image.open(printed).convert("L")
    width, height = sent.size
    if got.width < width or got.height < height:
        return f"{printed.name}: {got.size} smaller than {sent.size}"
    if ImageChops.difference(got.crop((0, 0, width, height)), sent.convert("L")).getbbox():
        return f"{printed.name}: pixels differ"
    padding = Image.new("L", got.size, 255)
    padding.paste(got.crop((width, 0, got.width, got.height)), (width, 0))
    padding.paste(got.crop((0, height, got.width, got.height)), (0, height))
    if ImageChops.invert(padding).getbbox():
        return f"{printed.name}: ink outside the image"
    return None


def check(job: Job, sim: EscPosSimulator) -> list[str]:
    problems = []
    if sim.unknown_commands:
        problems.append(f"{sim.unknown_commands} unknown commands")
    if len(sim.slips) != len(job.slips):
        return [*problems, f"{len(sim.slips)} slips, expected {len(job.slips)}"]
    for n, (slip, lines) in enumerate(zip(sim.slips, job.slips, strict=True), start=1):
        if len(slip.lines) != len(lines) or not all(map(same_line, slip.lines, lines)):
            problems.append(f"slip {n}: {slip.lines!r} != {lines!r}")
            continue
        for (s, i), picture in job.pictures.items():
            if s == n and (problem := picture_problem(slip.images[i - 1], picture)):
                problems.append(problem)
        for (s, i), payload in job.qr_images.items():
            if s != n:
                continue
            found = [r.data.decode() for r in read_qr(Image.open(slip.images[i - 1]))]
            if found != [payload]:
                problems.append(f"slip {n} image {i}: QR {found} != {payload!r}")
        assert slip.txt is not None
        text = slip.txt.read_text(encoding="utf-8").split("\n")
        want = [line.replace("\n", "\\x0a") for line in slip.lines] + [job.cuts[n - 1], ""]
        if text != want:
            problems.append(f"slip-{n}.txt: {text!r} != {want!r}")
    return problems


def test_python_escpos_jobs_read_back_exactly(tmp_path: Path) -> None:
    rng = random.Random(20_261_201)
    failures: list[str] = []
    started = time.monotonic()
    for case in range(CASES):
        job = generate(rng)
        sim = EscPosSimulator(folder=tmp_path / f"case-{case}")
        sim.folder.mkdir()
        feed(sim, job.printer.output, rng)
        if problems := check(job, sim):
            failures.append(f"case {case}: {problems[0]}")
    took = time.monotonic() - started
    rate = len(failures) / CASES
    print(f"{CASES} python-escpos jobs in {took:.1f} s: error rate {rate:.2%}")
    assert not failures, f"error rate {rate:.2%} ({len(failures)}/{CASES}); {failures[:3]}"


# --- through the pty, as an application would ------------------------------------


@pytest.fixture
def pty_printer(tmp_path: Path) -> Iterator[tuple[EscPosSimulator, Serial]]:
    sim = EscPosSimulator(folder=tmp_path).start()
    printer = Serial(devfile=sim.address, baudrate=115200, timeout=0.3)
    printer.open()
    try:
        yield sim, printer
    finally:
        printer.close()
        sim.stop()


def wait_for_slips(sim: EscPosSimulator, count: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while len(sim.slips) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(sim.slips) == count


def test_a_job_through_the_pty_with_status_asked_mid_job(
    pty_printer: tuple[EscPosSimulator, Serial],
) -> None:
    sim, printer = pty_printer
    rng = random.Random(7)
    picture = random_picture(rng)
    printer.hw("INIT")
    printer.set(bold=True, double_height=True, align="center")
    printer.textln("交通违法处理凭条")
    assert printer.is_online() and printer.paper_status() == 2  # answered mid-job
    printer._raw(FS_CHINESE_OFF)
    printer.textln("Amount: 200,00 € café")
    printer.qr("https://example.invalid/t?id=A1&n=中", native=True)
    printer.image(picture, impl="graphics")
    printer.barcode("{BA20261201", "CODE128", function_type="B")
    printer.cut()
    wait_for_slips(sim, 1)
    slip = sim.slips[0]
    assert slip.lines == [
        "交通违法处理凭条",
        "Amount: 200,00 € café",
        "[qr:https://example.invalid/t?id=A1&n=中]",
        f"[raster {picture.width}x{picture.height} -> slip-1-image-1.png]",
        "[barcode:CODE128:{BA20261201]",
    ]
    assert picture_problem(slip.images[0], picture) is None
    assert sim.unknown_commands == 0


def test_paper_status_through_the_pty(pty_printer: tuple[EscPosSimulator, Serial]) -> None:
    sim, printer = pty_printer
    seen = []
    for paper_mm in (20_000.0, 100.0, 0.0):
        sim.profile.paper_mm = paper_mm
        seen.append(printer.paper_status())
    assert seen == [2, 1, 0]


def test_many_generated_jobs_through_the_pty(pty_printer: tuple[EscPosSimulator, Serial]) -> None:
    sim, printer = pty_printer
    rng = random.Random(11)
    jobs = [generate(rng) for _ in range(15)]
    for job in jobs:
        printer._raw(job.printer.output)
    wait_for_slips(sim, sum(len(job.slips) for job in jobs), seconds=20)

    def plain(line: str) -> str:  # image numbers count from each job's first slip
        return "[raster]" if line.startswith("[raster") else line

    got = [plain(line) for slip in sim.slips for line in slip.lines]
    assert got == [plain(line) for job in jobs for slip in job.slips for line in slip]
    assert sim.unknown_commands == 0
