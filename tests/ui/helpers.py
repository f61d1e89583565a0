"""Finding items in the rendered scene and tapping them as a finger would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QPoint, QPointF, Qt, QTimer
from PySide6.QtQuick import QQuickItem
from PySide6.QtTest import QTest


def items(root: QQuickItem) -> list[QQuickItem]:
    found, todo = [], [root]
    while todo:
        item = todo.pop()
        try:
            children = item.childItems()
        except (AttributeError, RuntimeError):  # a screen's item torn down as it was read
            continue  # (seen once after the finder closed: not a QQuickItem any more)
        found.append(item)
        todo.extend(children)
    return found


def shown(item: QQuickItem) -> bool:
    return item.isVisible() and item.opacity() > 0 and item.width() > 0 and item.height() > 0


def find(kiosk, name: str) -> QQuickItem:
    matches = [i for i in items(kiosk.window.contentItem()) if i.objectName() == name and shown(i)]
    assert matches, f"no visible item {name!r} on screen {kiosk.shell.screen!r}"
    return matches[0]


def drawn(kiosk, wait_ms: int = 1_000) -> None:
    """Until the window has drawn a frame of what changed: Qt lays items out (a Column's
    places) only as it draws, so an item found before that may still stand where the
    last screen had it. A citizen taps what is drawn; on a loaded machine a test's tap
    came before the frame and was lost (the scan's Confirm, the finder's button)."""
    loop = QEventLoop()
    kiosk.window.frameSwapped.connect(loop.quit)
    QTimer.singleShot(wait_ms, loop.quit)  # nothing to draw: no frame comes
    kiosk.window.update()
    loop.exec()
    kiosk.window.frameSwapped.disconnect(loop.quit)


def on_screen(kiosk, name: str) -> bool:
    """Whether a visible item of that name is on the screen now."""
    try:
        find(kiosk, name)
    except AssertionError:
        return False
    return True


def tap(kiosk, name: str) -> None:
    tap_item(kiosk, find(kiosk, name))


def tap_service(kiosk, flow: str) -> None:
    """A service's tile on the home screen; a service in a group (the proofs) is a tile
    of the group's first: two taps, as a citizen's."""
    group = next((s.flow.group for s in kiosk.shell.services if s.flow.flow == flow), None)
    if group:
        tap(kiosk, f"tile_group_{group}")
        kiosk.settle(50)
    tap(kiosk, f"tile_{flow}")


def texts(kiosk) -> list[str]:
    return [
        str(i.property("text"))
        for i in items(kiosk.window.contentItem())
        if shown(i) and i.inherits("QQuickText")
    ]


def tap_item(kiosk, item: QQuickItem) -> None:
    drawn(kiosk)  # where the item stands now, not where the last screen had it
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
    QTest.mouseClick(
        kiosk.window,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QPoint(int(centre.x()), int(centre.y())),
    )
    kiosk.settle(30)


def type_on_keyboard(kiosk, letters: str) -> None:
    """Letters tapped on Qt's on-screen keyboard, one key at a time."""
    panel = find(kiosk, "keyboard")
    keys = {
        str(i.property("text")): i
        for i in items(panel)
        if shown(i) and i.property("key") is not None and i.property("text") not in (None, "")
    }
    for letter in letters:
        tap_item(kiosk, keys[letter])
    kiosk.settle(150)


def candidates(kiosk) -> list[QQuickItem]:
    """The pinyin engine's candidates on the keyboard, in the order shown."""
    found = [
        i
        for i in items(find(kiosk, "keyboard"))
        if shown(i) and i.inherits("QQuickText") and str(i.property("text") or " ")[0] >= "\u3400"
    ]
    return sorted(
        found, key=lambda i: (i.mapToScene(QPointF(0, 0)).y(), i.mapToScene(QPointF()).x())
    )


@contextlib.contextmanager
def on_simulated_devices(tmp_path: Path, camera_screen: bool = False) -> Iterator[Any]:
    """The touchscreen with every simulated device and our drivers on them, wired as
    `make run` wires them (no backend: its steps answer from the demo services); the
    simulated citizen acts quickly. `camera_screen`: the camera's picture is shown."""
    from kiosk.app import step_services
    from kiosk.config import load
    from kiosk.simulated import SimulatedDevices
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    config = load(env={"KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db")}).config
    devices = SimulatedDevices()
    states = devices.start()
    services = step_services(config, devices, True, None, catalogue())
    for part in services.parts:
        if getattr(part, "citizen", None) is not None:
            part.citizen.delay_s = 0.3
    camera = devices.drivers.get("camera")
    frames = (lambda: camera.frames.get) if camera_screen and camera is not None else None
    built = Kiosk(
        shell_factory(catalogue(), device_states=states | {"network": "online"},
                      step_services=services, camera=frames),
        catalogue(),
        size=(1080, 1920),
    )  # fmt: skip
    built.window.show()
    built.settle(100)
    built.devices, built.states, built.step_services = devices, states, services
    try:
        yield built
    finally:
        built.close()
        devices.stop()
