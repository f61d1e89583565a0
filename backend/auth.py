"""Who is asking: a terminal (its Ed25519 signature, inside the replay window, by a
terminal not revoked) or an operator (the console's bearer token)."""

from __future__ import annotations

import hmac
import logging
import random

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import Alert, SeenNonce, Terminal
from backend.problems import Refused
from wire import signing

log = logging.getLogger("kiosk.backend.auth")


async def signed_terminal(request: Request) -> Terminal:
    """The terminal that signed this request, or a 401 saying why not."""
    state = request.app.state
    headers = {name: request.headers[name] for name in signing.HEADERS if name in request.headers}
    if len(headers) < len(signing.HEADERS):
        missing = next(n for n in signing.HEADERS if n not in headers)
        raise Refused(401, "unsigned", f"no {missing} header")
    body = await request.body()
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    now = state.clock()
    with Session(state.engine, expire_on_commit=False) as db:
        terminal = db.get(Terminal, headers[signing.TERMINAL])
        if terminal is None:
            raise Refused(401, "unknown_terminal", "no terminal enrolled under that id")
        if terminal.revoked_at is not None:
            raise Refused(401, "revoked", "this terminal was revoked")
        try:
            signing.verify(
                signing.load_public_key(terminal.public_key), headers, request.method, target, body
            )
            stamp = int(headers[signing.TIMESTAMP])
        except (signing.SignatureError, ValueError) as exc:
            raise Refused(401, "signature_invalid", str(exc)) from None
        if abs(now - stamp) > signing.WINDOW_S:
            # The signature is the terminal's own, so its clock is wrong: tell both sides.
            db.add(
                Alert(
                    terminal_id=terminal.id,
                    kind="clock_drift",
                    raised_at=now,
                    detail=f"signed {stamp - now:+.0f} s from the backend's clock",
                )
            )
            db.commit()
            raise Refused(
                401, "clock_skew", "the timestamp is outside the signature window", server_time=now
            )
        db.add(SeenNonce(terminal_id=terminal.id, nonce=headers[signing.NONCE], seen_at=now))
        try:
            db.commit()
        except IntegrityError:
            raise Refused(401, "replayed", "this nonce was already used") from None
        if random.random() < 0.002:  # now and then, forget nonces no window can reach
            db.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - 2 * signing.WINDOW_S))
            db.commit()
        db.expunge(terminal)
    return terminal


def operator(request: Request) -> None:
    """The console and the admin API: `Authorization: Bearer <operator token>`."""
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), request.app.state.operator_token.encode()):
        raise Refused(403, "not_operator", "the operator token is missing or wrong")
