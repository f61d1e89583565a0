"""The wall (大屏) and the console in headless Chromium, on a bureau's day
(tests/backend/bureau.py: fixed clock, fixed seed). At 1920×1080 each of the wall's
screens fits the screen (nothing scrolls, no element leaves it), its main figures are
large, and it looks like its committed baseline (tests/backend/baselines/, compared
with a tolerance for font antialiasing; `KIOSK_UPDATE_BASELINES=1` writes them again);
it rotates by itself; when the backend goes away it keeps the figures and warns, and
comes back when the backend does. Screenshots of every wall screen and console view
are left in the test's tmp dir."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backend import cockpit
from tests.backend.bureau import NOW, bureau_day, counter_days
from tests.backend.harness import Clock
from tests.backend.test_console_browser import sign_in
from tests.services import chromium
from tests.services.backend import LiveBackend

BASELINES = Path(__file__).with_name("baselines")
SCREENS = [
    "fleet",
    "hours",
    "services",
    "funnels",
    "times",
    "satisfaction",
    "sites",
    "share",
    "warnings",
]
# mean absolute difference per channel (0-255), at the best shift (compare): antialiasing
# moves a few edge pixels; a screen whose layout broke moves tens. One figure changed
# moves about 0.1: the figures themselves are the assertions' business, not the baseline's
TOLERANCE = 3.0
# read when the module is collected: the suite's autouse fixture takes KIOSK* variables
# out of each test's environment
UPDATE = bool(os.environ.get("KIOSK_UPDATE_BASELINES"))


@pytest.fixture
def bureau(tmp_path: Path) -> Iterator[LiveBackend]:
    reason = chromium.missing()
    if reason:
        pytest.skip(f"SERVICE UNAVAILABLE: Chromium: {reason}")
    clock = Clock(NOW)  # the figures and "updated 17:30" are the backend's: reproducible
    backend = LiveBackend(tmp_path / "backend", clock)
    backend.start()
    bureau_day(backend, clock, tmp_path, warnings=True)
    counter_days(backend)
    with backend.console("otto", role="operator") as otto:  # on the busy site's warning
        found = otto.get(f"{backend.url}/console/api/warnings", timeout=10).json()["warnings"]
        (busy,) = [w for w in found if w["kind"] == "busy"]
        otto.post(f"{backend.url}/console/api/warnings/{busy['id']}/acknowledge",
                  timeout=10).raise_for_status()  # fmt: skip
    backend.console("wall", role="viewer").close()
    yield backend
    backend.stop()
    backend.app.state.engine.dispose()


def full_hd(page: chromium.Page) -> None:
    page.send("Emulation.setDeviceMetricsOverride", width=1920, height=1080,
              deviceScaleFactor=1, mobile=False)  # fmt: skip


def open_screen(page: chromium.Page, url: str) -> None:
    page.send("Page.navigate", url=url)
    time.sleep(0.3)  # the old document goes
    page.wait_for("Number(document.body?.dataset.wall) >= 1")
    page.evaluate("document.fonts.ready.then(() => true)")


def compare(shot: Path, name: str) -> float:
    """The mean difference from the baseline (written when asked), the best over shifts
    of up to two pixels: a table a pixel and a bit lower (a section added above it) is
    drawn with other antialiasing, which is no change to anyone looking at it (such a
    shift measured 1.5 at its best shift, 7.6 unshifted; a screen whose layout broke,
    tens)."""
    baseline = BASELINES / name
    if UPDATE:
        BASELINES.mkdir(exist_ok=True)
        with Image.open(shot) as image:
            image.convert("RGB").save(baseline, optimize=True)
        return 0.0
    assert baseline.exists(), f"no baseline {name}: KIOSK_UPDATE_BASELINES=1 writes it"
    with Image.open(shot) as new, Image.open(baseline) as old:
        now = np.asarray(new.convert("RGB"), dtype=np.int16)
        then = np.asarray(old.convert("RGB"), dtype=np.int16)
    assert now.shape == then.shape, f"{name}: {now.shape} != {then.shape}"
    height, width = now.shape[:2]
    return min(
        float(np.abs(now[2 + dy : height - 2 + dy, 2 + dx : width - 2 + dx]
                     - then[2 : height - 2, 2 : width - 2]).mean())
        for dy in range(-2, 3) for dx in range(-2, 3)
    )  # fmt: skip


OVERFLOW = """(() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > innerWidth || root.scrollHeight > innerHeight)
    out.push(`page ${root.scrollWidth}x${root.scrollHeight}`);
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;  // not shown
    if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)
      out.push(`${e.tagName}#${e.id}.${e.className} ${r.left},${r.top},${r.right},${r.bottom}`);
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== "visible")
      out.push(`${e.tagName}#${e.id} clips ${e.scrollWidth} > ${e.clientWidth}`);
  }
  return out;
})()"""

SIZES = """(() => {
  const shown = (e) => e.getBoundingClientRect().width > 0;
  const px = (e) => parseFloat(getComputedStyle(e).fontSize);
  const main = [...document.querySelectorAll(".screen.on .figure b, .screen.on td.num")]
    .filter(shown).map(px);
  const text = [...document.querySelectorAll(".screen.on *")]
    .filter((e) => shown(e) && [...e.childNodes].some((n) => n.nodeType === 3 && n.data.trim()))
    .map(px);
  return {main, smallest: Math.min(...text)};
})()"""


def test_each_wall_screen_fits_a_full_hd_screen_and_matches_its_baseline(
    bureau: LiveBackend, tmp_path: Path
) -> None:
    differences = {}
    with chromium.live_page(f"{bureau.url}/console/wall", size="1920,1080") as page:
        full_hd(page)
        sign_in(page, "wall", "a password for wall")
        page.wait_for("document.body?.dataset.wall === '1'")
        for n, name in enumerate(SCREENS):
            open_screen(page, f"{bureau.url}/console/wall?screen={n}")
            assert page.evaluate("document.body.dataset.screen") == str(n)
            assert page.evaluate("document.querySelector('.screen.on').id") == f"screen-{name}"
            assert page.evaluate(OVERFLOW) == [], name
            sizes = page.evaluate(SIZES)
            assert sizes["main"] and min(sizes["main"]) >= 24, (name, sizes)
            assert sizes["smallest"] >= 18, (name, sizes)  # the English beside, too
            updated = page.evaluate("document.getElementById('updated').innerText")
            assert "数据更新于 17:30" in updated and "updated 17:30" in updated
            assert page.evaluate("document.getElementById('stale').hidden") is True
            shot = tmp_path / f"wall-{n}-{name}.png"
            page.screenshot(shot)
            differences[name] = compare(shot, f"wall-{n}-{name}.png")
        text = page.evaluate("document.getElementById('n-table').innerText")
        assert "北京市公安局海淀分局 中关村派出所" in text and "北京 朝阳 三里屯" in text
        steps = page.evaluate(
            "[...document.querySelectorAll('#u-table tbody tr')].map((r) =>"
            " [r.dataset.service, r.dataset.step, r.children[1].innerText])"
        )
        assert steps, "no step where citizens gave up"
        for service, step, shown in steps:  # the citizen text's first clause, English beside
            text = cockpit.texts()["services"][service]["steps"][step]
            zh = re.split("[，。？！：；]", text["zh_CN"])[0]
            en = re.split(r"[.:;?!]\s", text["en"])[0].rstrip(".?!")
            assert shown.split("\n")[0] == f"{zh} {en}", (service, step, shown)
        items = page.evaluate(
            "[...document.querySelectorAll('#w-list li')].map((li) =>"
            " [li.dataset.kind, li.className, li.innerText])"
        )
        assert [(kind, state) for kind, state, _ in items] == [
            ("runout", "raised"), ("busy", "acknowledged")]  # fmt: skip
        assert "中关村 3号机 · 纸 paper" in items[0][2] and "待处理 awaiting" in items[0][2]
        assert "北京市公安局朝阳分局 望京派出所" in items[1][2]
        assert "已确认 otto 17:30 acknowledged" in items[1][2] and "发出 17:30" in items[1][2]
        figures = page.evaluate("['raised', 'acknowledged', 'resolved'].map((k) =>"
                                " document.getElementById(`w-${k}`).textContent)")  # fmt: skip
        assert figures == ["1", "1", "0"]
        share = page.evaluate("[...document.querySelectorAll('#p-table tbody tr')].map((r) =>"
                              " [r.dataset.service, ...[...r.children].slice(2).map("
                              "(c) => c.textContent)])")  # fmt: skip
    with bureau.console("wall", role="viewer") as wall:
        asked = wall.get(f"{bureau.url}/console/api/share", params={"until": NOW}, timeout=10)
    groups = {g["service"]: g for g in asked.json()["groups"]}
    assert len(share) == min(5, len(groups)) and share
    for service, finished, counter, percent in share:
        g = groups[service]
        assert (finished, counter, percent) == (
            str(g["finished"]), str(g["counter"]), f"{round(g['share'] * 100)}%")  # fmt: skip
    assert all(d < TOLERANCE for d in differences.values()), differences


def test_the_wall_rotates_and_survives_a_backend_restart(
    bureau: LiveBackend, tmp_path: Path
) -> None:
    with chromium.live_page(f"{bureau.url}/console/wall", size="1920,1080") as page:
        full_hd(page)
        sign_in(page, "wall", "a password for wall")
        page.wait_for("Number(document.body?.dataset.wall) >= 1")  # signed in: the cookie
        open_screen(page, f"{bureau.url}/console/wall?every=1&refresh=2")
        seen = set()
        deadline = time.monotonic() + 20
        while len(seen) < len(SCREENS) and time.monotonic() < deadline:
            seen.add(page.evaluate("document.body.dataset.screen"))
            time.sleep(0.2)
        assert seen == {str(n) for n in range(len(SCREENS))}  # every screen came round

        bureau.stop()  # the backend restarts: the figures stay, a warning says so
        page.wait_for("document.body.dataset.stale === '1'", timeout_s=20)
        stale = page.evaluate("document.getElementById('stale').innerText")
        assert "17:30" in stale and "retrying" in stale
        assert page.evaluate("document.getElementById('h-sessions').textContent") not in ("", "–")
        page.screenshot(tmp_path / "wall-stale.png")
        loads = int(page.evaluate("document.body.dataset.wall"))
        bureau.start()
        page.wait_for(f"Number(document.body.dataset.wall) > {loads}", timeout_s=30)
        page.wait_for("document.body.dataset.stale === '0'", timeout_s=10)


CONSOLE_VIEWS = ["help", "terminals", "alerts", "cockpit", "followups", "sites", "audit"]


def test_every_console_view_as_a_screenshot(bureau: LiveBackend, tmp_path: Path) -> None:
    bureau.console().close()  # the administrator's account: the audit log shows too
    with chromium.live_page(f"{bureau.url}/console", size="1280,900") as page:
        sign_in(page, "chief", "a password for chief")
        page.wait_for("document.body.dataset.rendered === '1'")
        page.wait_for("document.body.dataset.cockpit === '1'")
        page.wait_for("document.body.dataset.sites === '1'")
        page.wait_for("document.querySelectorAll('#audit-log tbody tr').length > 0")
        page.evaluate("document.fonts.ready.then(() => true)")
        names = page.evaluate("[...document.querySelectorAll('#sites-table tbody tr')]"
                              ".map((r) => r.dataset.site)")  # fmt: skip
        assert len(names) == 5 and names[-1] == "*"
        for view in CONSOLE_VIEWS:
            selector = {"terminals": "#terminals", "alerts": "#alerts"}.get(view, f"#{view}")
            box = page.evaluate(
                f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                "e.scrollIntoView(); const r = e.getBoundingClientRect();"
                "return [r.x + scrollX, r.y + scrollY, r.width, Math.max(r.height, 40)]; })()"
            )
            shot = tmp_path / f"console-{view}.png"
            clip = {"x": box[0], "y": box[1], "width": box[2], "height": min(box[3], 1600),
                    "scale": 1}  # fmt: skip
            data = page.send("Page.captureScreenshot", clip=clip, captureBeyondViewport=True)
            shot.write_bytes(base64.b64decode(data["data"]))
            with Image.open(shot) as image:
                assert image.size[0] > 600, view
        # the sites' table holds the backend's figures only (no terminal id, no browser
        # clock): a baseline of its own
        box = page.evaluate("(() => { const r = document.getElementById('sites-table')"
                            ".getBoundingClientRect(); return [r.x + scrollX, r.y + scrollY,"
                            " r.width, r.height]; })()")  # fmt: skip
        clip = dict(zip(("x", "y", "width", "height"), box, strict=True), scale=1)
        data = page.send("Page.captureScreenshot", clip=clip, captureBeyondViewport=True)
        shot = tmp_path / "console-sites-table.png"
        shot.write_bytes(base64.b64decode(data["data"]))
    assert compare(shot, "console-sites-table.png") < TOLERANCE
