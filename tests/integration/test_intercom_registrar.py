"""The booth registers with the duty room's SIP registrar and calls through it: a
real Kamailio (Debian's), started here on loopback with a minimal routing script,
is the registrar and proxy. It checks the booth's digest password itself (its
`auth` module), so a wrong password is refused by code written elsewhere; its log
says who registered and which INVITE it routed where."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.intercom import CallState, Intercom
from kiosk.intercom.baresip import free_udp_port
from kiosk.intercom.duty_room import DutyRoom
from tests.integration.test_intercom import Heard, booth_section

PASSWORD = "s3cret"
MODULES = next(Path("/usr/lib").glob("*/kamailio/modules"), Path("/usr/lib/kamailio/modules"))

# booth-17 must give its digest password; anyone else registers freely (the room)
ROUTING = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}
alias=127.0.0.1:{port}
mpath="{modules}/"
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("REGISTER")) {{
        if ($fU == "booth-17" && !pv_www_authenticate("$fd", "{password}", "0")) {{
            xlog("L_NOTICE", "challenged $fU\\n");
            www_challenge("$fd", "0");
            exit;
        }}
        if (!save("location")) {{ sl_reply_error(); }}
        xlog("L_NOTICE", "registered $fU\\n");
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK") && t_check_trans()) {{ t_relay(); }}
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("INVITE")) {{ record_route(); }}
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    xlog("L_NOTICE", "routed $rm from $fu\\n");
    t_relay();
}}
"""


class Registrar:
    def __init__(self, folder: Path) -> None:
        self.port = free_udp_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log = folder / "kamailio.log"
        script = folder / "kamailio.cfg"
        script.write_text(ROUTING.format(port=self.port, modules=MODULES, password=PASSWORD))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["kamailio", "-f", str(script), "-DD", "-E", "-Y", str(folder)],
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 10
        while "SO_RCVBUF is finally" not in self.said():
            assert self.process.poll() is None, self.said()
            assert time.monotonic() < deadline, "kamailio did not start"
            time.sleep(0.05)

    def said(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(10)


@pytest.fixture
def registrar(tmp_path: Path) -> Iterator[Registrar]:
    running = Registrar(tmp_path)
    yield running
    running.stop()


def wait_until(check, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def test_the_booth_registers_with_its_password_and_calls_through_the_registrar(
    registrar: Registrar,
) -> None:
    room = DutyRoom(answer_after_s=0.2, registrar=registrar.address).start()
    booth = Intercom(booth_section(room.uri, sip_account=f"sip:booth-17@{registrar.address}",
                                   sip_password=PASSWORD, sip_register=True))  # fmt: skip
    try:
        wait_until(lambda: "registered duty" in registrar.said())
        booth.start()
        wait_until(lambda: booth.registered is not None)
        assert booth.registered is True
        said = registrar.said()
        assert "challenged booth-17" in said and "registered booth-17" in said  # digest passed
        heard = Heard()
        booth.dial(heard)
        heard.wait(CallState.TALKING)
        assert re.search(r"routed INVITE from sip:booth-17@127\.0\.0\.1", registrar.said())
        assert room.calls[0].caller == f"sip:booth-17@{registrar.address}"
        booth.hang_up()
        heard.wait(CallState.ENDED)
        room.wait_for("CALL_CLOSED")  # the BYE went through the registrar's route
    finally:
        booth.close()
        room.stop()


def test_a_wrong_password_is_refused_and_logged(registrar: Registrar, caplog) -> None:
    booth = Intercom(booth_section(f"sip:duty@{registrar.address}",
                                   sip_account=f"sip:booth-17@{registrar.address}",
                                   sip_password="wrong", sip_register=True))  # fmt: skip
    try:
        booth.start()
        wait_until(lambda: booth.registered is not None)
        assert booth.registered is False
        assert "registered booth-17" not in registrar.said()
        heard = Heard()
        booth.dial(heard)  # nobody registered as duty@: the registrar says 404
        heard.wait(CallState.UNREACHABLE)
    finally:
        booth.close()
    assert "REGISTER_FAIL" in caplog.text
