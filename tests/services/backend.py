"""The reference backend served for real over HTTP on loopback (uvicorn in a
thread of the test process, so it can share a virtual clock with the terminal),
with a network in front of it that a test can break: answers lost after the
backend acted, slow answers, an overloaded backend, or the backend gone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import uvicorn

from backend.app import Settings, create_app
from tests.services.process import free_port, port_open, wait_until


@dataclass
class Network:
    lose_answers: int = 0  # the next N answers never arrive (the backend did act)
    delay_s: float = 0.0  # every answer this much later
    overloaded: bool = False  # 503 with Retry-After, nothing done
    requests: int = 0
    hold_s: float = 6.0  # how long a lost answer is held (past the test client's 5 s)


class _Faulty:
    def __init__(self, app: Any, network: Network) -> None:
        self.app, self.network = app, network

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        net = self.network
        net.requests += 1
        if net.overloaded:
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"retry-after", b"30"), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return None
        if net.delay_s:
            await asyncio.sleep(net.delay_s)
        if net.lose_answers > 0:
            net.lose_answers -= 1
            held: list[dict[str, Any]] = []

            async def swallow(message: dict[str, Any]) -> None:
                held.append(message)

            await self.app(scope, receive, swallow)  # the backend acts ...
            await asyncio.sleep(net.hold_s)  # ... and the answer never comes in time
            for message in held:
                await send(message)
            return None
        return await self.app(scope, receive, send)


class LiveBackend:
    def __init__(
        self,
        data: Path,
        clock: Callable[[], float],
        db_url: str | None = None,
        crypto_suite: str = "gm",  # the deployment's: what terminals enrol with
        limits: Any = None,  # backend/limits.py Limits; none: the deployment's defaults
    ) -> None:
        self.settings = Settings(db_url or f"sqlite:///{data / 'backend.db'}", data,
                                 clock=clock, gateway_simulator=True, crypto_suite=crypto_suite,
                                 lost_hold_s=6.0)  # past the test terminal's 5 s  # fmt: skip
        if limits is not None:
            self.settings.limits = limits
        self.app = create_app(self.settings)
        self.network = Network()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(_Faulty(self.app, self.network), host="127.0.0.1",
                                port=self.port, log_level="error", lifespan="off")  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_until(lambda: port_open(self.port), "the backend on loopback")

    def stop(self) -> None:
        """The backend is gone: connections are refused until `start`."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def console(self, name: str = "chief", role: str = "administrator") -> requests.Session:
        """A browser of the console over the network: the account made, signed in."""
        from backend import operators

        password = f"a password for {name}"
        try:
            operators.add(self.app.state.engine, name, role, password, self.settings.clock())
        except operators.AccountError:  # made before
            pass
        browser = requests.Session()
        answer = browser.post(f"{self.url}/console/api/session", timeout=10,
                              json={"name": name, "password": password})  # fmt: skip
        answer.raise_for_status()
        browser.headers[operators.CSRF_HEADER] = answer.json()["csrf"]
        return browser

    def code(self) -> str:
        from backend.terminals import new_code

        return new_code(self.app.state.engine, self.settings.clock()).code
