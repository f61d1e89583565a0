"""QR micropay as the gateway simulator speaks it (WeChat Pay / Alipay style): the
terminal scans the citizen's payment code and asks the gateway to take the money.

An answer of USERPAYING or SYSTEMERROR, or no answer at all, means *unknown*: the
terminal queries the order (same out_trade_no, made once and stored first) for a
bounded time, then reverses it, repeating the reverse while `recall` is true.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from wire.sync import TEXT

# WeChat: 18 digits from 10-15; Alipay: 16-24 digits from 25-30.
AUTH_CODE = r"^(1[0-5]\d{16}|(2[5-9]|30)\d{14,22})$"
OUT_TRADE_NO = r"^[A-Za-z0-9_-]{6,32}$"


class TradeState(StrEnum):
    SUCCESS = "SUCCESS"
    USERPAYING = "USERPAYING"  # the citizen is typing the password
    PAYERROR = "PAYERROR"
    NOTPAY = "NOTPAY"
    REVOKED = "REVOKED"  # reversed
    REFUND = "REFUND"  # refunded in full
    CLOSED = "CLOSED"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Micropay(_Model):
    out_trade_no: str = Field(pattern=OUT_TRADE_NO, description="the terminal's order number")
    amount_fen: int = Field(gt=0, le=1_000_000)
    auth_code: str = Field(description="the citizen's payment code (scanned)")
    description: str = Field(max_length=80, pattern=TEXT)  # stored with the order


class MicropayReply(_Model):
    result: str = Field(description="SUCCESS, FAIL, USERPAYING or SYSTEMERROR")
    err_code: str | None = Field(None, description="e.g. NOTENOUGH, AUTHCODEEXPIRE")
    transaction_id: str | None = None


class OrderRef(_Model):
    out_trade_no: str = Field(pattern=OUT_TRADE_NO)


class OrderState(_Model):
    out_trade_no: str
    trade_state: TradeState
    amount_fen: int
    refunded_fen: int
    transaction_id: str | None


class ReverseReply(_Model):
    result: str = Field(description="SUCCESS or FAIL")
    recall: bool = Field(description="FAIL and true: call reverse again")


class Refund(_Model):
    out_trade_no: str = Field(pattern=OUT_TRADE_NO)
    out_refund_no: str = Field(pattern=OUT_TRADE_NO, description="makes the refund idempotent")
    amount_fen: int = Field(gt=0, le=1_000_000)  # no more than a micropay takes


class Mismatch(_Model):
    out_trade_no: str
    gateway_state: TradeState | None = Field(description="none: the gateway never saw it")
    terminal_state: TradeState | None = Field(description="none: no terminal reported it")
    amount_fen: int


class Reconciliation(_Model):
    day: str
    orders: int
    paid_fen: int
    refunded_fen: int
    mismatches: list[Mismatch]
