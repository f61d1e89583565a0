"""Starting Qt: the application object, Qt's messages into our log, the window."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow

from kiosk.status import TerminalStatus
from kiosk.strings import Catalogue
from ui.status import StatusViewModel

QML_DIR = Path(__file__).resolve().parent / "qml"
qt_log = logging.getLogger("kiosk.ui.qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context: object, message: str) -> None:
    # Qt's warnings (a QML binding error, a missing plugin) go to our log, masked.
    qt_log.log(_LEVELS.get(kind, logging.WARNING), "%s", message)


def _application() -> QGuiApplication:
    qInstallMessageHandler(_qt_message)
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        os.environ.setdefault("QT_QUICK_BACKEND", "software")
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


def show_status(
    status: TerminalStatus,
    strings: Catalogue,
    *,
    size: tuple[int, int],
    fullscreen: bool,
    screenshot: Path | None = None,
    quit_after_s: float | None = None,
) -> int:
    """Show the status window until closed; with `screenshot`, save one frame and quit."""
    app = _application()
    engine = QQmlApplicationEngine()
    model = StatusViewModel(status, strings)
    engine.setInitialProperties({"status": model, "width": size[0], "height": size[1]})
    engine.load(QML_DIR / "StatusWindow.qml")
    roots = engine.rootObjects()
    if not roots or not isinstance(roots[0], QQuickWindow):
        qt_log.error("the status window did not load")
        return 4
    window = roots[0]
    if fullscreen:
        window.showFullScreen()
    else:
        window.show()
    result = {"code": 0}
    if screenshot is not None:

        def grab() -> None:
            image = window.grabWindow()
            if image.isNull() or not image.save(str(screenshot)):
                qt_log.error("could not save the screenshot to %s", screenshot)
                result["code"] = 4
            app.quit()

        # Two frames in: the first one lays out, the second has the final text.
        QTimer.singleShot(300, grab)
    if quit_after_s is not None:
        QTimer.singleShot(int(quit_after_s * 1000), app.quit)
    _quit_on_signals(app)
    app.exec()
    model.clock.stop()
    del engine
    return result["code"]
