"""The payment gateway simulator: QR micropay with the real failure semantics.

The citizen's payment code chooses what happens (its last digit), so a flow test
or a technician at a terminal can provoke each case:

| last digit | micropay answers                    | and then                              |
|------------|-------------------------------------|---------------------------------------|
| 0, 8, 9    | SUCCESS                             |                                       |
| 1          | FAIL NOTENOUGH (balance too low)    |                                       |
| 2          | USERPAYING                          | paid at the 2nd query                 |
| 3          | USERPAYING                          | never paid; 1st reverse: FAIL, recall |
| 4          | SYSTEMERROR                         | it was paid: the query says SUCCESS   |
| 5          | none (held past the client timeout) | it was paid                           |
| 6          | USERPAYING                          | cancelled: PAYERROR at the 2nd query  |
| 7          | FAIL AUTHCODEEXPIRE                 |                                       |

A repeated micropay with the same order number never charges twice.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth import Signed, signed
from backend.db import PaymentOrder, StoredRecord
from backend.operators import signed_in
from backend.problems import Refused, responses
from wire.payments import (
    AUTH_CODE,
    Micropay,
    MicropayReply,
    Mismatch,
    OrderRef,
    OrderState,
    Reconciliation,
    Refund,
    ReverseReply,
    TradeState,
)
from wire.sync import RecordKind

router = APIRouter(tags=["payment gateway simulator"])
PAID_LATER = {"2": TradeState.SUCCESS, "6": TradeState.PAYERROR}


def _scenario(order: PaymentOrder) -> str:
    return order.auth_code_masked[-1]


def _paid(order: PaymentOrder, now: float) -> None:
    order.state = TradeState.SUCCESS
    order.transaction_id = "42" + secrets.token_hex(10)
    order.paid_at = now


@router.post("/gateway/micropay", response_model=MicropayReply, responses=responses(401, 422))
@signed
def micropay(request: Request, terminal: Signed, pay: Micropay) -> MicropayReply:
    """Takes the money with the scanned payment code (see the table above)."""
    now = request.app.state.clock()
    if not re.fullmatch(AUTH_CODE, pay.auth_code):
        return MicropayReply(result="FAIL", err_code="AUTH_CODE_INVALID")
    with terminal.session() as db:
        order = db.get(PaymentOrder, pay.out_trade_no, with_for_update=True)
        if order is not None:  # a retry: the first attempt's outcome, never a second charge
            if order.amount_fen != pay.amount_fen:
                return MicropayReply(result="FAIL", err_code="OUT_TRADE_NO_USED")
            return _answer(order)
        masked = pay.auth_code[:4] + "*" * (len(pay.auth_code) - 8) + pay.auth_code[-4:]
        order = PaymentOrder(
            out_trade_no=pay.out_trade_no, terminal_id=terminal.id, amount_fen=pay.amount_fen,
            description=pay.description, auth_code_masked=masked, state=TradeState.NOTPAY,
            created_at=now, updated_at=now, refunded_fen=0, reverse_calls=0, queries=0,
            refunds={},
        )  # fmt: skip
        scenario = pay.auth_code[-1]
        if scenario in "0894":
            _paid(order, now)
        elif scenario == "5":
            _paid(order, now)
        elif scenario in "236":
            order.state = TradeState.USERPAYING
        else:
            order.state = TradeState.PAYERROR
        db.add(order)
        db.commit()
        if scenario == "4":
            return MicropayReply(result="SYSTEMERROR", err_code="SYSTEMERROR")
        if scenario == "5":  # the answer is lost on the way: held past the client's wait
            raise Refused(504, "lost", "the gateway's answer was lost",
                          hold_s=request.app.state.lost_hold_s)  # fmt: skip
        if scenario == "1":
            return MicropayReply(result="FAIL", err_code="NOTENOUGH")
        if scenario == "7":
            return MicropayReply(result="FAIL", err_code="AUTHCODEEXPIRE")
        return _answer(order)


def _answer(order: PaymentOrder) -> MicropayReply:
    if order.state == TradeState.SUCCESS:
        return MicropayReply(result="SUCCESS", transaction_id=order.transaction_id)
    if order.state == TradeState.USERPAYING:
        return MicropayReply(result="USERPAYING", err_code="USERPAYING")
    return MicropayReply(result="FAIL", err_code="ORDER" + order.state.upper())


@router.post("/gateway/orderquery", response_model=OrderState, responses=responses(401, 404))
@signed
def orderquery(request: Request, terminal: Signed, ref: OrderRef) -> OrderState:
    """The order's state; a citizen typing the password finishes (or not) meanwhile."""
    now = request.app.state.clock()
    with terminal.session() as db:
        order = _own_order(db, ref.out_trade_no, terminal.id)
        if order.state == TradeState.USERPAYING:
            order.queries += 1
            later = PAID_LATER.get(_scenario(order))
            if later is not None and order.queries >= 2:
                if later == TradeState.SUCCESS:
                    _paid(order, now)
                else:
                    order.state = later
                order.updated_at = now
        db.commit()
        return _state(order)


@router.post("/gateway/reverse", response_model=ReverseReply, responses=responses(401))
@signed
def reverse(request: Request, terminal: Signed, ref: OrderRef) -> ReverseReply:
    """Cancels the order, refunding it if it was paid; FAIL with recall: call again.
    An order the gateway never saw is closed, so a late micropay cannot pay it."""
    now = request.app.state.clock()
    with terminal.session() as db:
        order = db.get(PaymentOrder, ref.out_trade_no, with_for_update=True)
        if order is None:
            db.add(PaymentOrder(
                out_trade_no=ref.out_trade_no, terminal_id=terminal.id, amount_fen=0,
                description="", auth_code_masked="-", state=TradeState.REVOKED, created_at=now,
                updated_at=now, refunded_fen=0, reverse_calls=1, queries=0, refunds={},
            ))  # fmt: skip
            db.commit()
            return ReverseReply(result="SUCCESS", recall=False)
        if order.terminal_id != terminal.id:
            raise Refused(404, "no_order", f"no order {ref.out_trade_no} of this terminal")
        order.reverse_calls += 1
        if (
            order.state == TradeState.USERPAYING
            and _scenario(order) == "3"
            and (order.reverse_calls == 1)
        ):
            db.commit()
            return ReverseReply(result="FAIL", recall=True)
        if order.state in (
            TradeState.SUCCESS,
            TradeState.USERPAYING,
            TradeState.NOTPAY,
            TradeState.PAYERROR,
        ):
            if order.state == TradeState.SUCCESS:
                order.refunded_fen = order.amount_fen
            order.state = TradeState.REVOKED
            order.updated_at = now
        db.commit()
        if order.state in (TradeState.REFUND, TradeState.CLOSED):
            return ReverseReply(result="FAIL", recall=False)
        return ReverseReply(result="SUCCESS", recall=False)


@router.post("/gateway/refund", response_model=OrderState, responses=responses(401, 404, 409))
@signed
def refund(request: Request, terminal: Signed, ask: Refund) -> OrderState:
    """Gives money back on a paid order; the same out_refund_no refunds once."""
    with terminal.session() as db:
        order = _own_order(db, ask.out_trade_no, terminal.id)
        if ask.out_refund_no in order.refunds:
            if order.refunds[ask.out_refund_no] != ask.amount_fen:
                raise Refused(409, "refund_no_reused", "out_refund_no used with another amount")
            return _state(order)
        if order.state not in (TradeState.SUCCESS, TradeState.REFUND):
            raise Refused(409, "not_paid", f"order {order.out_trade_no} is {order.state}")
        if order.refunded_fen + ask.amount_fen > order.amount_fen:
            raise Refused(409, "over_refund", "more than was paid")
        order.refunds = {**order.refunds, ask.out_refund_no: ask.amount_fen}
        order.refunded_fen += ask.amount_fen
        if order.refunded_fen == order.amount_fen:
            order.state = TradeState.REFUND
        order.updated_at = request.app.state.clock()
        db.commit()
        return _state(order)


@router.get(
    "/v1/admin/reconciliation",
    response_model=Reconciliation,
    dependencies=[Depends(signed_in("viewer"))],
    responses=responses(403, 422),
    tags=["operators"],
)
def reconciliation(
    request: Request,
    day: Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")],
) -> Reconciliation:
    """The day's orders: every one whose state differs between terminal and gateway."""
    try:  # a date as written, not a number of days since 1970 (pydantic takes `0`)
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Refused(422, "invalid", f"day: {day} is not a date") from None
    start = dt.datetime.combine(date, dt.time(), dt.UTC).timestamp()
    end = start + 86400
    with Session(request.app.state.engine) as db:
        gateway = {
            o.out_trade_no: o for o in db.scalars(
                select(PaymentOrder).where(PaymentOrder.created_at >= start,
                                           PaymentOrder.created_at < end)
            )
        }  # fmt: skip
        reported: dict[str, tuple[TradeState | None, int]] = {}
        for row in db.scalars(
            select(StoredRecord)
            .where(
                StoredRecord.kind == RecordKind.PAYMENT.value,
                StoredRecord.created_at >= start,
                StoredRecord.created_at < end,
            )
            .order_by(StoredRecord.seq)
        ):  # the last state a terminal reported for each order
            body = row.body
            if body.get("method", "qr") != "qr":
                continue  # a bank-card sale: the acquirer's settlement file reconciles it
            number = str(body.get("out_trade_no", ""))
            try:
                state: TradeState | None = TradeState(str(body.get("state")))
            except ValueError:
                state = None
            reported[number] = (state, int(body.get("amount_fen", 0)))
    mismatches = []
    for number in sorted(set(gateway) | {n for n in reported if n}):
        order = gateway.get(number)
        terminal_state, amount = reported.get(number, (None, 0))
        gateway_state = TradeState(order.state) if order else None
        if gateway_state != terminal_state:
            mismatches.append(Mismatch(
                out_trade_no=number, gateway_state=gateway_state, terminal_state=terminal_state,
                amount_fen=order.amount_fen if order else amount,
            ))  # fmt: skip
    paid = [o for o in gateway.values() if o.paid_at is not None]
    return Reconciliation(
        day=date.isoformat(),
        orders=len(gateway),
        paid_fen=sum(o.amount_fen for o in paid),
        refunded_fen=sum(o.refunded_fen for o in gateway.values()),
        mismatches=mismatches,
    )


def _own_order(db: Session, number: str, terminal_id: str) -> PaymentOrder:
    order = db.get(PaymentOrder, number, with_for_update=True)
    if order is None or order.terminal_id != terminal_id:
        raise Refused(404, "no_order", f"no order {number} of this terminal")
    return order


def _state(order: PaymentOrder) -> OrderState:
    return OrderState(
        out_trade_no=order.out_trade_no,
        trade_state=TradeState(order.state),
        amount_fen=order.amount_fen,
        refunded_fen=order.refunded_fen,
        transaction_id=order.transaction_id,
    )
