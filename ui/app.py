"""Starting Qt: the application object, Qt's messages into our log, the window."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QEventLoop,
    QObject,
    QTimer,
    QtMsgType,
    Slot,
    qInstallMessageHandler,
)
from PySide6.QtGui import QGuiApplication, QInputDevice, QSinglePointEvent
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow

from kiosk.strings import Catalogue
from kiosk.systemd import Notifier
from ui.camera import CameraImages
from ui.scan_images import ScanImages
from ui.shell import KioskShell
from ui.signature_images import SignatureImages
from ui.translator import CatalogueTranslator

QML_DIR = Path(__file__).resolve().parent / "qml"
qt_log = logging.getLogger("kiosk.ui.qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


# Not ours: Qt Multimedia (under Qt TextToSpeech) looks for PipeWire and says so;
# the virtual keyboard's QML trips a property-cache notice, and its pinyin engine
# warns that it makes its folder whenever it has no user dictionary yet (a first
# start, a fresh home); and Qt's own C++ calls QString::arg with missing arguments
# in both (our QML never calls arg()).
_NOT_OURS = ("qt.multimedia.symbolsresolver", "qt.qml.propertyCache.append")
_NOT_OURS_TEXT = ("QString::arg:", "PinyinDecoderService::init(): creating directory")


def _qt_message(kind: QtMsgType, context: Any, message: str) -> None:
    # Qt's warnings (a QML binding error, a missing plugin) go to our log, masked.
    level = _LEVELS.get(kind, logging.WARNING)
    category = str(getattr(context, "category", "") or "")
    if category.startswith(_NOT_OURS) or message.startswith(_NOT_OURS_TEXT):
        level = logging.DEBUG
    qt_log.log(level, "%s", message)


def keyboard_memory() -> Path:
    """Where Qt's on-screen keyboard keeps what it learns (the pinyin engine's user
    dictionary, under Qt's config location): a folder of this process's own (0700),
    emptied at every session's end (`forget_typing`) and removed at exit, so that
    nothing a citizen typed is offered to the next or outlives a restart. The text
    fields also ask the engine to learn nothing (ImhSensitiveData, in FormScreen)."""
    global _KEYBOARD_MEMORY
    if _KEYBOARD_MEMORY is None:
        _forget_crashed_keyboards()
        _KEYBOARD_MEMORY = Path(tempfile.mkdtemp(prefix=f"{KEYBOARD_PREFIX}{os.getpid()}-"))
        atexit.register(shutil.rmtree, _KEYBOARD_MEMORY, True)
        # read by QStandardPaths when the keyboard's engine first starts
        os.environ["XDG_CONFIG_HOME"] = str(_KEYBOARD_MEMORY)
    return _KEYBOARD_MEMORY


_KEYBOARD_MEMORY: Path | None = None
KEYBOARD_PREFIX = "kiosk-keyboard-"


def _forget_crashed_keyboards() -> None:
    """The folders of kiosk processes that died without cleaning up (a crash, a
    power cut): whatever a citizen left there goes at the next start."""
    for folder in Path(tempfile.gettempdir()).glob(f"{KEYBOARD_PREFIX}*-*"):
        pid = folder.name.removeprefix(KEYBOARD_PREFIX).split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
        except FileNotFoundError:  # another kiosk starting swept it just now
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # alive, someone else's
            continue


def forget_typing() -> None:
    """Empty the keyboard's folder (a session has ended)."""
    memory = keyboard_memory()
    for entry in memory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _application() -> QGuiApplication:
    keyboard_memory()
    qInstallMessageHandler(_qt_message)
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        os.environ.setdefault("QT_QUICK_BACKEND", "software")
    # letters come from Qt's on-screen keyboard (pinyin for Chinese); it must be
    # chosen before the application object exists
    os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")
    app = QGuiApplication.instance() or QGuiApplication(["kiosk"])
    assert isinstance(app, QGuiApplication)
    app.setApplicationName("kiosk")
    return app


def _quit_on_signals(app: QGuiApplication) -> None:
    """Ctrl-C and `systemctl stop` close the window cleanly.

    Python runs signal handlers only between bytecodes, and Qt's loop is C++:
    a light timer hands control back to Python a few times a second.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    wake = QTimer(app)
    wake.timeout.connect(lambda: None)
    wake.start(200)


class TapCounter(QObject):
    """Every finger put on the window, counted for the shell (the touch count, the
    funnels): a touch, or a mouse press that Qt did not make up from a touch."""

    def __init__(self, on_tap: Callable[[], None]) -> None:
        super().__init__()
        self.on_tap = on_tap

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.TouchBegin:
            self.on_tap()
        elif kind == QEvent.Type.MouseButtonPress and isinstance(event, QSinglePointEvent):
            device = event.device()
            if device is None or device.type() != QInputDevice.DeviceType.TouchScreen:
                self.on_tap()
        return False  # counted, not taken: the screen gets it as before


class Kiosk:
    """The touchscreen, built: the shell, its translator, the QML engine, the window."""

    def __init__(
        self,
        shell_factory: Callable[[Callable[[str], None]], KioskShell],
        strings: Catalogue,
        *,
        size: tuple[int, int],
        language: str = "zh_CN",
    ) -> None:
        self.app = _application()
        self.strings = strings
        self.translator = CatalogueTranslator(strings, language)
        self.app.installTranslator(self.translator)
        self.engine = QQmlApplicationEngine()
        self.camera_images = CameraImages()
        self.engine.addImageProvider("camera", self.camera_images)
        self.scan_images = ScanImages()  # the scanned page's preview, from the services
        self.engine.addImageProvider("scan", self.scan_images)
        self.signature_images = SignatureImages()  # the kept signature, from the services
        self.engine.addImageProvider("signature", self.signature_images)
        self.shell = shell_factory(self.retranslate)
        self.shell.sessionReset.connect(forget_typing)
        # what the screens' scripts held of the citizen (a form's entries) goes now,
        # not whenever the JavaScript heap next fills
        self.shell.sessionReset.connect(self.engine.collectGarbage)
        shell = self.shell
        self.scan_images.source = lambda ref: (
            shell.step_services.scanned(ref)
            if hasattr(shell.step_services, "scanned") and shell.in_session()
            else None
        )
        self.signature_images.source = lambda ref: (
            shell.step_services.signature(ref)
            if hasattr(shell.step_services, "signature") and shell.in_session()
            else None
        )
        if self.shell.photo_step is not None:
            self.shell.photo_step.images = self.camera_images
        if self.shell.desk is not None:
            self.shell.desk.images = self.camera_images
        # every screen reads the shell as `kiosk`: there from the first binding on
        self.engine.rootContext().setContextProperty("kiosk", self.shell)
        self.engine.setInitialProperties({"shell": self.shell, "width": size[0], "height": size[1]})
        self.engine.load(QML_DIR / "Kiosk.qml")
        roots = self.engine.rootObjects()
        if not roots or not isinstance(roots[0], QQuickWindow):
            raise RuntimeError("the kiosk window did not load (see the log)")
        self.window = roots[0]
        self.taps = TapCounter(self.shell.tapped)
        self.window.installEventFilter(self.taps)

    def retranslate(self, lang: str) -> None:
        self.translator.lang = lang
        self.engine.retranslate()

    def settle(self, ms: int = 50) -> None:
        """Let Qt lay out and paint what changed (tests, screenshots): an event
        loop for `ms`, rather than spinning on processEvents()."""
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def grab(self, path: Path) -> bool:
        image = self.window.grabWindow()
        return not image.isNull() and image.save(str(path))

    def close(self) -> None:
        self.shell.wipe()
        self.shell.closed = True
        # a device step's thread may still have news: nobody is left to show it
        services = self.shell.step_services
        for hook in ("progress", "preview"):
            if hasattr(services, hook):
                setattr(services, hook, lambda news: None)
        self.window.close()
        # the screens go before the engine and its context (else their bindings
        # see `kiosk` vanish and complain on the way out)
        self.window.deleteLater()
        self.settle(0)
        self.app.removeTranslator(self.translator)
        self.engine.deleteLater()
        # The shell goes on Qt's thread now: were its last reference dropped on a
        # driver's thread (a step's late answer), its timers would outlive it there
        # and fire into freed memory.
        self.shell.deleteLater()
        self.settle(0)


class SystemdWatch(QObject):
    """systemd hears from the touchscreen itself: READY=1 once the window has put its
    first frame on the screen, WATCHDOG=1 from a timer on the GUI thread (a frozen
    event loop stops the pings, and systemd restarts the kiosk), STOPPING=1 at quit.
    With no notify socket it does nothing at all, but `confirm`.

    `confirm`: called on the GUI thread `confirm_after_s` after the first frame, when
    the touchscreen is still up and its loop answering (a crash or a frozen loop in
    that time is a failed start): the start of an update on probation went well
    (kiosk/updates.py). Quick (a line written to a file), so the loop is not held."""

    def __init__(
        self,
        kiosk: Kiosk,
        notifier: Notifier,
        confirm: Callable[[], object] | None = None,
        confirm_after_s: float = 60.0,
    ) -> None:
        super().__init__()
        self.notifier = notifier
        self.window = kiosk.window
        self.ready = False
        self.confirm = confirm
        self.confirmed = False
        self.pings = QTimer(self)
        self.pings.timeout.connect(self.ping)
        self.good_start = QTimer(self)
        self.good_start.setSingleShot(True)
        self.good_start.setInterval(max(1, int(confirm_after_s * 1000)))
        self.good_start.timeout.connect(self.started_well)
        if not notifier.enabled and confirm is None:
            return
        # emitted on the render thread; this object lives on the GUI thread, so the
        # slot runs there (a queued connection)
        self.window.frameSwapped.connect(self.first_frame)
        if notifier.enabled and notifier.watchdog_s is not None:
            self.pings.start(max(1, int(notifier.watchdog_s * 1000)))

    @Slot()
    def first_frame(self) -> None:
        if self.ready:
            return
        self.ready = True
        self.window.frameSwapped.disconnect(self.first_frame)
        self.notifier.send("READY=1")
        self.notifier.status("showing the home screen")
        if self.confirm is not None:
            self.good_start.start()

    @Slot()
    def started_well(self) -> None:
        if self.confirm is None or self.confirmed:
            return
        self.confirmed = True
        try:
            self.confirm()
        except Exception:  # the touchscreen goes on; the probation ends as the root says
            qt_log.exception("could not confirm this start")

    @Slot()
    def ping(self) -> None:
        self.notifier.send("WATCHDOG=1")

    def stop(self) -> None:
        self.pings.stop()
        self.good_start.stop()
        self.notifier.send("STOPPING=1\nSTATUS=stopping")


def show_kiosk(
    kiosk: Kiosk,
    *,
    fullscreen: bool,
    screenshot: Path | None = None,
    quit_after_s: float | None = None,
    systemd: Notifier | None = None,
    confirm_start: Callable[[], object] | None = None,
    confirm_after_s: float = 60.0,
) -> int:
    """Run the touchscreen until closed; with `screenshot`, save one frame and quit.
    `systemd`: the unit's notify socket (kiosk.systemd), told ready, alive, stopping.
    `confirm_start`: called once the touchscreen has been up `confirm_after_s` (see
    SystemdWatch)."""
    watch = SystemdWatch(kiosk, systemd or Notifier({}), confirm_start, confirm_after_s)
    if fullscreen:
        kiosk.window.showFullScreen()
    else:
        kiosk.window.show()
    result = {"code": 0}
    if screenshot is not None:

        def grab() -> None:
            if not kiosk.grab(screenshot):
                qt_log.error("could not save the screenshot to %s", screenshot)
                result["code"] = 4
            kiosk.app.quit()

        QTimer.singleShot(300, grab)
    if quit_after_s is not None:
        QTimer.singleShot(int(quit_after_s * 1000), kiosk.app.quit)
    _quit_on_signals(kiosk.app)
    kiosk.app.exec()
    watch.stop()
    kiosk.close()
    return result["code"]


def quit_app() -> None:
    """Restart from the technicians' desk: the service manager starts the kiosk again
    when it exits."""
    app = QGuiApplication.instance()
    if app is not None:
        app.quit()
