"""A stand-in for logind on a private bus (tests): org.freedesktop.login1 with the
caller's session, whose SetBrightness calls are printed, one JSON line each, before
the reply goes back. A device named "refused" gets logind's error instead.

    python fake_logind.py BUS_ADDRESS     prints "ready" once on the bus
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusVirtualObject

INTERFACE = """<interface name="org.freedesktop.login1.Session">
  <method name="SetBrightness">
    <arg name="subsystem" type="s" direction="in"/>
    <arg name="name" type="s" direction="in"/>
    <arg name="brightness" type="u" direction="in"/>
  </method>
</interface>"""


class Session(QDBusVirtualObject):
    def introspect(self, path: str) -> str:
        return INTERFACE

    def handleMessage(self, message: QDBusMessage, connection: QDBusConnection) -> bool:
        call = [message.interface(), message.member(), message.signature(), message.arguments()]
        print(json.dumps(call), flush=True)
        if message.arguments()[1:2] == ["refused"]:
            reply = message.createErrorReply(
                "org.freedesktop.DBus.Error.AccessDenied", "Not allowed to change brightness."
            )
        else:
            reply = message.createReply()
        connection.send(reply)
        return True


def main() -> None:
    app = QCoreApplication([])
    bus = QDBusConnection.connectToBus(sys.argv[1], "logind")
    session = Session()
    assert bus.registerVirtualObject("/org/freedesktop/login1/session/auto", session)
    assert bus.registerService("org.freedesktop.login1")
    print("ready", flush=True)
    app.exec()


if __name__ == "__main__":
    main()
