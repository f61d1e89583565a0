"""The signature pad against oracles written elsewhere than the code they check:

- our driver, on a pty, against a pad played here byte by byte from the packet
  layout the Linux kernel reads (drivers/input/touchscreen/wacom_w8001.c,
  `parse_pen_data`), with its own encoder;
- our simulator, against linuxwacom's own ISDV4 client, isdv4-serial-debugger
  (xserver-xorg-input-wacom), which prints what it decodes;
- the rendered PNG, pixel by pixel, against where the strokes were.
"""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import subprocess
import threading
import time
import tty

import numpy as np
import pytest
from PIL import Image

from drivers.signature_pad.driver import Isdv4SignaturePad
from drivers.signature_pad.ink import Ink, PenPoint
from drivers.signature_pad.render import render_png
from drivers.signature_pad.simulator import Isdv4PadSimulator, PadProfile
from kiosk.device_media import GENERIC, view_of

# --- a pad played from the kernel's layout --------------------------------------------
X_MAX, Y_MAX, P_MAX, VERSION = 20001, 13331, 1023, 0x1234  # odd low bits on purpose


def pen_report(near: bool, down: bool, x: int, y: int, pressure: int) -> bytes:
    """The inverse of the kernel's parse_pen_data: x = (d1 << 9) | (d2 << 2) |
    ((d6 & 0x60) >> 5), y likewise with d3, d4 and (d6 & 0x18) >> 3, pressure =
    d5 | (d6 & 0x07) << 7; d0: 0x80 sync, 0x20 in range, 0x01 tip."""
    d = [0x80 | (0x20 if near else 0) | (0x01 if down else 0), 0, 0, 0, 0, 0, 0, 0, 0]
    d[1], d[2] = (x >> 9) & 0x7F, (x >> 2) & 0x7F
    d[3], d[4] = (y >> 9) & 0x7F, (y >> 2) & 0x7F
    d[5] = pressure & 0x7F
    d[6] = ((x & 0x3) << 5) | ((y & 0x3) << 3) | ((pressure >> 7) & 0x7)
    return bytes(d)


def query_reply() -> bytes:
    """w8001_setup reads the query reply with parse_pen_data too; byte 0 is 0xC0
    (sync and control, data id 0), bytes 9-10 the version (xf86-input-wacom)."""
    body = bytearray(pen_report(False, False, X_MAX, Y_MAX, P_MAX))
    body[0] = 0xC0
    return bytes(body) + bytes([(VERSION >> 7) & 0x7F, VERSION & 0x7F])


class KernelLayoutPad:
    """Answers '*' with the query reply and notes '0'/'1'; the test writes reports."""

    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        tty.setraw(self.master)
        tty.setraw(slave)
        self.slave = slave
        self.path = os.ttyname(slave)
        self.sampling = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.02)[0]:
                continue
            for byte in os.read(self.master, 64):
                if byte == ord("*"):
                    os.write(self.master, query_reply())
                elif byte == ord("1"):
                    self.sampling.set()
                elif byte == ord("0"):
                    self.sampling.clear()

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        self._stop.set()
        time.sleep(0.05)
        os.close(self.master)
        os.close(self.slave)


def test_the_driver_reads_reports_as_the_kernel_lays_them_out():
    device = KernelLayoutPad()
    driver = Isdv4SignaturePad(device.path)
    try:
        opened = driver.open().result()
        assert opened.ok, opened
        assert opened.data["identity"] == f"ISDV4 v{VERSION} {X_MAX}x{Y_MAX} p{P_MAX}"
        heard = []
        handle = driver.capture(heard.append, 5.0)
        assert device.sampling.wait(2.0)
        until = time.monotonic() + 1.0  # the status follows the '1' on the wire
        while driver.status.media.get("sampling") != "on" and time.monotonic() < until:
            time.sleep(0.01)
        desk = [line.msg.id for line in view_of("signature_pad", driver).lines]
        assert desk == ["desk.signature_pad.sampling.on"]  # the desk has words for it
        box = int(Y_MAX * 0.75)  # the signing box; the buttons below it
        first = [(0, 0, 0), (1, 2, 1), (8191, 5461, 682), (X_MAX, box, P_MAX)]
        second = [(4097, 1023, 129), (4098, 1025, 130)]
        device.write(pen_report(True, False, 0, 0, 0))  # near, not touching yet
        for x, y, p in first:
            device.write(pen_report(True, True, x, y, p))
        device.write(b"\x13\x00\x7f")  # line noise: no sync bit, skipped
        device.write(pen_report(True, True, X_MAX + 1, 5, 5))  # beyond the announced range
        device.write(pen_report(True, False, X_MAX, box, 0))
        time.sleep(0.25)
        for x, y, p in second:
            device.write(pen_report(True, True, x, y, p))
        device.write(pen_report(False, False, 4098, 1025, 0))
        tap = (X_MAX * 3 // 4, (box + Y_MAX) // 2)  # 确认, right of the strip below the box
        device.write(pen_report(True, True, *tap, 500) + pen_report(True, False, *tap, 0))
        done = handle.result()
        assert done.ok, done
        ink = done.data
        assert [[(p.x, p.y, p.pressure) for p in s] for s in ink.strokes] == [first, second]
        assert ink.ended_by == "pad" and ink.rejected == 1
        assert ink.strokes[1][0].t - ink.strokes[0][-1].t >= 0.2  # stamped as they came
        assert [e.button for e in heard if e.kind == "button"] == ["confirm"]
        until = time.monotonic() + 1.0
        while device.sampling.is_set() and time.monotonic() < until:
            time.sleep(0.01)
        assert not device.sampling.is_set(), "the pad was left sampling"
        desk = [line.msg.id for line in view_of("signature_pad", driver).lines]
        assert desk == ["desk.signature_pad.sampling.off"] and GENERIC not in desk
    finally:
        driver.close()
        device.close()


# --- linuxwacom's own client on our simulator --------------------------------------------
# isdv4-serial-debugger insists on TIOCGSERIAL, which a pty does not answer; this shim
# answers that one ioctl (and line-buffers its output): the protocol code is theirs.
SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/serial.h>
int ioctl(int fd, unsigned long request, ...) {
    static int (*real)(int, unsigned long, ...);
    va_list args; va_start(args, request); void *arg = va_arg(args, void *); va_end(args);
    if (!real) real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    if (request == TIOCGSERIAL) { memset(arg, 0, sizeof(struct serial_struct)); return 0; }
    return real(fd, request, arg);
}
__attribute__((constructor)) static void lines(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
"""
# two strokes of 40 reports, every bit of x, y and pressure stirred
SCRIPT = [
    [(0.05 + k * 0.021, 0.1 + (k % 7) * 0.11, (k * 37 % 100) / 100, k * 7.5) for k in range(40)],
    [(0.9 - k * 0.019, 0.95 - k * 0.02, 1.0 - k / 50, 500 + k * 7.5) for k in range(40)],
]
PEN_LINE = re.compile(r"^PEN\s+\d+:\s*(\d+)/\s*(\d+) \| pressure:\s*(\d+) \|.*\|(.*)\|$")


def test_linuxwacoms_debugger_decodes_our_simulator(tmp_path):
    debugger = shutil.which("isdv4-serial-debugger")
    assert debugger, "xserver-xorg-input-wacom is missing (packaging/apt-packages.txt)"
    (tmp_path / "shim.c").write_text(SHIM)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "shim.so"),
                    str(tmp_path / "shim.c"), "-ldl"], check=True)  # fmt: skip
    # at the pad's own rate: the debugger handles one report per read(), so reports
    # that arrive together wait for the next byte (at three times the rate, a backlog)
    sim = Isdv4PadSimulator(PadProfile(speed=1.0)).start()
    env = {**os.environ, "LD_PRELOAD": str(tmp_path / "shim.so")}
    tool = subprocess.Popen([debugger, "-b", "38400", sim.pts], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        until = time.monotonic() + 5
        while not sim.sampling and time.monotonic() < until:  # its queries, then '1'
            time.sleep(0.02)
        assert sim.sampling, "the debugger never started the pad"
        sim.sign("confirm", strokes=SCRIPT).join()
        time.sleep(0.2)
    finally:
        tool.terminate()
        out, err = tool.communicate(timeout=5)
        sim.stop()
    profile = sim.profile
    assert f"TABLET: version: {profile.version}" in out, (out[:400], err)
    assert f"TABLET: x max: {profile.x_max} y max {profile.y_max}" in out
    assert f"TABLET: pressure max: {profile.pressure_max}" in out
    reports = [PEN_LINE.match(line) for line in out.splitlines() if line.startswith("PEN")]
    assert all(reports) and "failed to parse" not in err
    down = [(int(m[1]), int(m[2]), int(m[3])) for m in reports if m and "t" in m[4]]
    written = [p for stroke in sim.written for p in stroke]
    assert len(written) == 80 and down[: len(written)] == written  # in order, as written
    assert {x for x, _, _ in down[len(written) :]} == {profile.x_max * 3 // 4}  # the 确认 tap


# --- the PNG -------------------------------------------------------------------------------


def _line(y: int, pressure: int, t0: float) -> list[PenPoint]:
    return [PenPoint(x, y, pressure, t0 + i * 0.01) for i, x in enumerate(range(1000, 9001, 250))]


def test_the_png_has_ink_where_the_strokes_were_and_none_elsewhere():
    heavy, light = _line(1000, 1023, 0.0), _line(6000, 100, 1.0)
    ink = Ink(15200, 7125, 1023, [heavy, light])
    png = render_png(ink, 600, 200)
    picture = Image.open(io.BytesIO(png))
    assert (picture.format, picture.size) == ("PNG", (600, 200))
    pixels = np.asarray(picture.convert("L"), dtype=float)
    # where the strokes must land, worked out here: the ink's extent (8000 x 5000 pad
    # units) fitted into 600 x 200 less a margin of the widest line (200 / 25 = 8 px)
    # and one more pixel, proportions kept, centred
    scale = min((600 - 18) / 8000, (200 - 18) / 5000)
    left = (600 - 8000 * scale) / 2
    top = (200 - 5000 * scale) / 2
    y_heavy, y_light = top, top + 5000 * scale
    x0, x1 = left, left + 8000 * scale
    for y in (y_heavy, y_light):
        along = [pixels[round(y), round(x)] for x in np.linspace(x0 + 2, x1 - 2, 40)]
        assert max(along) < 110, f"gaps in the stroke at y={y:.0f}: {along}"
    rows, columns = np.indices(pixels.shape)
    dx = np.maximum(0, np.maximum(x0 - columns, columns - x1))
    near = np.minimum(np.hypot(dx, rows - y_heavy), np.hypot(dx, rows - y_light))
    assert pixels[near > 6].min() > 245, "ink where no stroke was"
    column = pixels[:, round((x0 + x1) / 2)]
    thick = int((column[: round((y_heavy + y_light) / 2)] < 128).sum())
    thin = int((column[round((y_heavy + y_light) / 2) :] < 128).sum())
    assert thick >= 6 and 1 <= thin <= 4 and thick > 2 * thin, (thick, thin)  # pressure


def test_a_picture_too_small_to_read_is_refused():
    with pytest.raises(ValueError, match="too small"):
        render_png(Ink(100, 100, 1, [[PenPoint(1, 1, 1, 0.0)]]), 10, 10)
