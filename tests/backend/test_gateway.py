"""The payment gateway simulator: each case of QR micropay, reverse, refund and the
reconciliation report."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backend.harness import Backend, Terminal, record

WECHAT = "1345678901234567"  # + two digits; the last chooses the case


def _pay(terminal: Terminal, order: str, last: str, amount: int = 2000) -> dict[str, object]:
    answer = terminal.call("POST", "/gateway/micropay", {
        "out_trade_no": order, "amount_fen": amount, "auth_code": WECHAT + "0" + last,
        "description": "身份证换领",
    })  # fmt: skip
    return dict(answer.json()) if answer.status_code == 200 else {"status": answer.status_code}


def _query(terminal: Terminal, order: str) -> dict[str, object]:
    return dict(terminal.call("POST", "/gateway/orderquery", {"out_trade_no": order}).json())


def _reverse(terminal: Terminal, order: str) -> dict[str, object]:
    return dict(terminal.call("POST", "/gateway/reverse", {"out_trade_no": order}).json())


@pytest.mark.parametrize(
    ("last", "result", "err_code"),
    [("0", "SUCCESS", None), ("1", "FAIL", "NOTENOUGH"), ("7", "FAIL", "AUTHCODEEXPIRE"),
     ("2", "USERPAYING", "USERPAYING"), ("4", "SYSTEMERROR", "SYSTEMERROR")],
)  # fmt: skip
def test_micropay_answers(backend: Backend, last: str, result: str, err_code: str | None) -> None:
    answer = _pay(backend.enrol(), "ORD-A-0001", last)
    assert (answer["result"], answer["err_code"]) == (result, err_code)


def test_a_bad_payment_code_is_refused_before_anything_is_stored(backend: Backend) -> None:
    terminal = backend.enrol()
    answer = terminal.call("POST", "/gateway/micropay", {
        "out_trade_no": "ORD-B-0001", "amount_fen": 100, "auth_code": "99", "description": "x",
    }).json()  # fmt: skip
    assert answer["err_code"] == "AUTH_CODE_INVALID"
    assert (
        terminal.call("POST", "/gateway/orderquery", {"out_trade_no": "ORD-B-0001"}).status_code
        == 404
    )


def test_a_repeated_micropay_never_charges_twice(backend: Backend) -> None:
    terminal = backend.enrol()
    first = _pay(terminal, "ORD-C-0001", "0")
    again = _pay(terminal, "ORD-C-0001", "0")
    assert first == again and first["result"] == "SUCCESS"
    other_amount = _pay(terminal, "ORD-C-0001", "0", amount=4000)
    assert other_amount["err_code"] == "OUT_TRADE_NO_USED"


def test_userpaying_settles_at_a_later_query(backend: Backend) -> None:
    terminal = backend.enrol()
    _pay(terminal, "ORD-D-0001", "2")
    assert _query(terminal, "ORD-D-0001")["trade_state"] == "USERPAYING"
    assert _query(terminal, "ORD-D-0001")["trade_state"] == "SUCCESS"
    _pay(terminal, "ORD-D-0002", "6")
    _query(terminal, "ORD-D-0002")
    assert _query(terminal, "ORD-D-0002")["trade_state"] == "PAYERROR"


def test_a_citizen_who_never_pays_is_reversed_after_a_recall(backend: Backend) -> None:
    terminal = backend.enrol()
    _pay(terminal, "ORD-E-0001", "3")
    for _ in range(5):
        assert _query(terminal, "ORD-E-0001")["trade_state"] == "USERPAYING"
    assert _reverse(terminal, "ORD-E-0001") == {"result": "FAIL", "recall": True}
    assert _reverse(terminal, "ORD-E-0001") == {"result": "SUCCESS", "recall": False}
    assert _query(terminal, "ORD-E-0001")["trade_state"] == "REVOKED"


def test_a_system_error_and_a_lost_answer_were_paid(backend: Backend) -> None:
    terminal = backend.enrol()
    _pay(terminal, "ORD-F-0001", "4")
    assert _query(terminal, "ORD-F-0001")["trade_state"] == "SUCCESS"
    assert _pay(terminal, "ORD-F-0002", "5") == {"status": 504}  # after the hold
    assert _query(terminal, "ORD-F-0002")["trade_state"] == "SUCCESS"
    reversed_paid = _reverse(terminal, "ORD-F-0002")
    assert reversed_paid["result"] == "SUCCESS"
    state = _query(terminal, "ORD-F-0002")
    assert (state["trade_state"], state["refunded_fen"]) == ("REVOKED", 2000)


def test_a_reverse_before_the_pay_request_lands_closes_the_order(backend: Backend) -> None:
    terminal = backend.enrol()
    assert _reverse(terminal, "ORD-G-0001") == {"result": "SUCCESS", "recall": False}
    late = _pay(terminal, "ORD-G-0001", "0")
    assert late["result"] == "FAIL"  # the money is not taken after the terminal gave up


def test_refunds_are_idempotent_and_bounded(backend: Backend) -> None:
    terminal = backend.enrol()
    _pay(terminal, "ORD-H-0001", "0", amount=3000)
    ask = {"out_trade_no": "ORD-H-0001", "out_refund_no": "REF-H-0001", "amount_fen": 1000}
    one = terminal.call("POST", "/gateway/refund", ask).json()
    two = terminal.call("POST", "/gateway/refund", ask).json()
    assert one == two and one["refunded_fen"] == 1000
    over = terminal.call(
        "POST", "/gateway/refund", {**ask, "out_refund_no": "REF-H-2", "amount_fen": 2500}
    )
    assert over.status_code == 409 and over.json()["code"] == "over_refund"
    rest = terminal.call(
        "POST", "/gateway/refund", {**ask, "out_refund_no": "REF-H-3", "amount_fen": 2000}
    )
    assert rest.json()["trade_state"] == "REFUND"
    reused = terminal.call("POST", "/gateway/refund", {**ask, "amount_fen": 5})
    assert reused.status_code == 409


def test_another_terminals_order_is_not_yours(backend: Backend) -> None:
    mine, theirs = backend.enrol(), backend.enrol()
    _pay(mine, "ORD-I-0001", "0")
    assert (
        theirs.call("POST", "/gateway/orderquery", {"out_trade_no": "ORD-I-0001"}).status_code
        == 404
    )


def test_reconciliation_lists_orders_whose_states_differ(backend: Backend) -> None:
    terminal = backend.enrol()
    _pay(terminal, "ORD-J-0001", "0")  # both say SUCCESS
    _pay(terminal, "ORD-J-0002", "4")  # the terminal gave up on a SYSTEMERROR: it was paid
    _pay(terminal, "ORD-J-0003", "1")  # failed on both sides
    at = backend.clock()
    terminal.records(
        {**record("pay-0000001", kind="payment", out_trade_no="ORD-J-0001", state="SUCCESS",
                  amount_fen=2000), "created_at": at},
        {**record("pay-0000002", kind="payment", out_trade_no="ORD-J-0002", state="NOTPAY",
                  amount_fen=2000), "created_at": at},
        {**record("pay-0000003", kind="payment", out_trade_no="ORD-J-0003", state="PAYERROR",
                  amount_fen=2000), "created_at": at},
        {**record("pay-0000004", kind="payment", out_trade_no="ORD-J-0004", state="SUCCESS",
                  amount_fen=1500), "created_at": at},
    )  # fmt: skip
    day = dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()
    report = backend.operator("GET", "/v1/admin/reconciliation", params={"day": day}).json()
    assert report["orders"] == 3 and report["paid_fen"] == 4000
    found = {
        m["out_trade_no"]: (m["gateway_state"], m["terminal_state"]) for m in report["mismatches"]
    }
    assert found == {"ORD-J-0002": ("SUCCESS", "NOTPAY"), "ORD-J-0004": (None, "SUCCESS")}
    bad = backend.operator("GET", "/v1/admin/reconciliation", params={"day": "yesterday"})
    assert bad.status_code == 422


def test_the_simulator_is_mounted_only_when_asked_for(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from backend.app import Settings, create_app

    app = create_app(Settings(f"sqlite:///{tmp_path / 'b.db'}", tmp_path))
    with TestClient(app) as http:
        assert http.post("/gateway/micropay", json={}).status_code == 404
        answer = http.get("/v1/admin/reconciliation?day=2026-11-18")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    paths = app.openapi()["paths"]
    assert not [p for p in paths if p.startswith("/gateway")]
    app.state.engine.dispose()


def test_lost_answers_in_flight_hold_no_worker(tmp_path) -> None:
    """45 payments whose answers the simulator holds (the 'lost' case) once held 45
    worker threads: a heartbeat then waited 28.7 s. They wait on the event loop now."""
    import threading
    import time

    from kiosk.sync.client import BackendClient, Unavailable
    from tests.services.backend import LiveBackend
    from tests.sync.conftest import enrol
    from wire.payments import Micropay
    from wire.sync import Heartbeat, OutboxReport

    backend = LiveBackend(tmp_path / "backend", time.time)
    backend.app.state.lost_hold_s = 8.0  # a worker held this long would hold the heartbeat
    backend.start()
    try:
        identity = enrol(backend, tmp_path / "id.json")

        def lost(n: int) -> None:
            client = BackendClient(identity, timeout_s=10)
            try:
                client.call("POST", "/gateway/micropay", Micropay(
                    out_trade_no=f"ORD-LOST-{n:04d}", amount_fen=100, description="x",
                    auth_code=WECHAT + "05"))  # fmt: skip
            except Unavailable:
                pass  # the 504 after the hold
            finally:
                client.close()

        payers = [threading.Thread(target=lost, args=(n,)) for n in range(45)]
        for payer in payers:
            payer.start()
        # all of them recorded and held now (45 writers at once may take a loaded
        # machine seconds; the heartbeat is timed once they are all waiting)
        deadline = time.monotonic() + 10
        while recorded(backend) < 45 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert recorded(backend) == 45
        time.sleep(0.5)  # and their answers in the hold
        client = BackendClient(identity, timeout_s=10)
        started = time.monotonic()
        beat = Heartbeat(terminal_time=time.time(), software_version="t",
                         outbox=OutboxReport(depth=0))  # fmt: skip
        client.call("POST", "/v1/heartbeat", beat)
        took = time.monotonic() - started
        client.close()
        for payer in payers:
            payer.join(timeout=30)
        assert took < 4.0, f"a heartbeat waited {took:.1f} s behind held payments"
    finally:
        backend.stop()
        backend.app.state.engine.dispose()


def recorded(backend) -> int:
    """Payment orders the backend has written."""
    from sqlalchemy import func, select

    from backend.db import PaymentOrder

    with backend.app.state.engine.connect() as db:
        return int(db.execute(select(func.count()).select_from(PaymentOrder)).scalar_one())
