"""The two requests the whole fleet makes all day, the signed heartbeat and the signed
record batch, answered without FastAPI's routing and dependency layers (about 0.3 ms of a
heartbeat's CPU, bench/backend_cost.py): a plain ASGI step behind the door
(backend/guard.py) that takes exactly `POST /v1/heartbeat` and `POST /v1/records`
and hands every other request on.

It answers byte for byte as the FastAPI route would (tests/backend/test_hotpaths.py
holds the two side by side), in the route's order: the body parsed as JSON when its
type says so (a body that is not JSON: 422; not text: 400), the signing headers (none:
401, before the body's fields are looked at), the body against the route's model
(422, the first error), then the signature, replay window, nonce, rate limit and the
handler itself on one worker thread (backend/auth.py `SignedCall`; on SQLite, on the
event loop: backend/app.py), and the reply through the route's own response model.
The FastAPI routes stay registered: they describe both requests in the OpenAPI
document, and serve them when this step is off (`Settings.hot_paths`).
"""

from __future__ import annotations

import email.message
import functools
import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, get_type_hints

from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from backend import problems
from backend.auth import Signed, SignedCall, is_durable, quick_of, signed_handler, signing_headers
from backend.problems import Refused

# the requests served here: every terminal's, every minute or two
HOT = {"/v1/heartbeat", "/v1/records"}


@dataclass(frozen=True)
class HotRoute:
    """What a hot request needs of its FastAPI route: the handler `@signed` was made
    from, its parameters' names, the body's model and the reply's."""

    handler: Callable[..., Any]
    request_name: str
    signed_name: str
    body_name: str
    body: TypeAdapter[Any]
    reply: TypeAdapter[Any]
    status: int
    exclude_none: bool
    durable: bool  # its commit waits for the disk (not a `@telemetry` handler's)
    quick: Callable[..., Any] | None  # its `quick_path` (backend/auth.py)


def hot_routes(routes: Iterable[BaseRoute], paths: Iterable[str] = HOT) -> dict[str, HotRoute]:
    """The hot routes among `routes`, by path: each a `@signed` POST whose handler
    takes the request, the signer and one body model, and answers a model."""
    found = {}
    for route in routes:
        if not isinstance(route, APIRoute) or route.path not in paths:
            continue
        handler = signed_handler(route.endpoint)
        if route.methods != {"POST"} or handler is None or route.response_model is None:
            raise ValueError(f"{route.path}: not a signed POST answering a model")
        hints = get_type_hints(handler)
        names = list(inspect.signature(handler).parameters)
        requests = [n for n in names if hints[n] is Request]
        signers = [n for n in names if hints[n] is Signed]
        bodies = [
            n for n in names if isinstance(hints[n], type) and issubclass(hints[n], BaseModel)
        ]
        if (len(requests), len(signers), len(bodies), len(names)) != (1, 1, 1, 3):
            raise ValueError(f"{route.path}: takes more than the request, signer and body")
        found[route.path] = HotRoute(
            handler=handler,
            request_name=requests[0],
            signed_name=signers[0],
            body_name=bodies[0],
            body=TypeAdapter(hints[bodies[0]]),
            reply=TypeAdapter(route.response_model),
            status=route.status_code or 200,
            exclude_none=route.response_model_exclude_none,
            durable=is_durable(handler),
            quick=quick_of(handler),
        )
    missing = set(paths) - set(found)
    if missing:
        raise ValueError(f"no signed route at {', '.join(sorted(missing))}")
    return found


class HotPaths:
    def __init__(self, app: ASGIApp, routes: dict[str, HotRoute], inline: bool = False) -> None:
        self.app = app
        self.routes = routes
        self.inline = inline  # the signed work on the event loop, not a worker thread

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            route = self.routes.get(scope["path"])
        if route is None:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:  # the door read it whole: one message, or a disconnect
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        refusal = await self._answer(route, Request(scope, receive), bytes(body), send)
        if refusal is not None:
            await refusal(scope, receive, send)

    async def _answer(
        self, route: HotRoute, request: Request, body: bytes, send: Send
    ) -> Response | None:
        """A refusal's answer, or None once the reply has been sent."""
        value = _parsed(request, body)
        if isinstance(value, Response):
            return value
        try:
            headers = signing_headers(request)
        except Refused as exc:
            return problems.refused(exc)
        if value is _NO_BODY:  # FastAPI leaves an empty body unset: a required model says so
            return problems.invalid([{"loc": ("body",), "msg": "Field required"}])
        try:
            model = route.body.validate_python(value, from_attributes=True)
        except ValidationError as exc:
            return problems.invalid(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            )
        values = {route.request_name: request, route.body_name: model}
        try:
            reply = await SignedCall(request, headers, body).run(
                lambda terminal: route.handler(**values, **{route.signed_name: terminal}),
                inline=self.inline,
                durable=route.durable,
                quick=route.quick and functools.partial(route.quick, request, model),
            )
        except Refused as exc:
            return problems.refused(exc)
        answer = route.reply.dump_json(
            route.reply.validate_python(reply, from_attributes=True),
            by_alias=True,
            exclude_none=route.exclude_none,
        )
        await send({
            "type": "http.response.start", "status": route.status,
            "headers": [(b"content-length", str(len(answer)).encode()),
                        (b"content-type", b"application/json")],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": answer})
        return None


_NO_BODY = object()


def _parsed(request: Request, body: bytes) -> Any:
    """The body as FastAPI hands it to the model: parsed JSON when its type is JSON,
    else the bytes themselves (which no model takes); _NO_BODY when it is empty. Or
    the answer to a body that is not JSON (422) or not text (400)."""
    if not body:
        return _NO_BODY
    try:
        kind = request.headers.get("content-type")
        if kind and _is_json(kind):  # without a type: not parsed (FastAPI's strict default)
            return json.loads(body)
        return body
    except json.JSONDecodeError as exc:
        return problems.invalid([{"loc": ("body", exc.pos), "msg": "JSON decode error"}])
    except Exception:  # what FastAPI answers to any other failure (UTF-8 that is not)
        return problems.malformed(400, "There was an error parsing the body")


@functools.lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    """application/json or application/*+json, parameters aside, as FastAPI reads it."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")
