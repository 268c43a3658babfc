"""The ASGI middleware of every request: its id, its log line and metrics, its body's size.

`RequestLog` (outermost) gives each request an id (the client's `X-Request-ID` when it is
a plain token, else a new one), echoes it on every response, writes one JSON log line a
request and counts it in the metrics, by route template. `BodyLimit` answers `413
payload_too_large` to a body larger than `MOPS_MAX_BODY_BYTES` without reading it to its
end: at once when `Content-Length` says so, else as soon as the chunks received pass it.
"""

from __future__ import annotations

import json
import logging
from time import perf_counter
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interfaces.http.errors import PROBLEM_JSON, REQUEST_ID_HEADER, problem, request_id
from interfaces.http.metrics import UNMATCHED, Metrics

logger = logging.getLogger("mops.http.requests")
# What a deployment that sets nothing allows (API.md, Settings: MOPS_MAX_BODY_BYTES).
DEFAULT_MAX_BODY_BYTES = 1_048_576


def route_template(scope: Scope, root_path: str) -> str:
    """The path template of the route that answered (`/customers/{customer_id}`).

    A request no route matched is `unmatched`: raw paths, ids in them, would make a
    label per request. Under a mount, the mount's path leads the inner route's.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    prefix = str(scope.get("root_path", ""))[len(root_path) :]
    if isinstance(route, Mount):  # an app of its own (static files): no template inside
        return f"{prefix}/{{path}}"
    return prefix + path


def would_route(scope: Scope, routes: Any = None) -> str:
    """The template of the route a request would have reached: a 413 answers unrouted.

    FastAPI keeps an included router's routes behind it (`original_router`): they are
    looked through in turn.
    """
    for route in getattr(scope.get("app"), "routes", ()) if routes is None else routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found = would_route(scope, inner.routes)
            if found != UNMATCHED:
                return found
            continue
        path = getattr(route, "path", None)
        if isinstance(path, str) and route.matches(scope)[0] is Match.FULL:
            return f"{path}/{{path}}" if isinstance(route, Mount) else path
    return UNMATCHED


def _problem_code(body: bytes) -> str | None:
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) else None


class RequestLog:
    """Every request's id, its JSON log line, and its count and latency in the metrics.

    A command's outcome is counted too: the route names its command in the request's
    state (`CommandCall.read`), and the answer's problem code (or `ok`) is its outcome.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        root_path = str(scope.get("root_path", ""))
        rid = request_id(scope)
        answer: dict[str, Any] = {"status": 500, "problem": False, "code": None}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers[REQUEST_ID_HEADER] = rid
                answer["problem"] = headers.get("content-type", "").startswith(PROBLEM_JSON)
            elif message["type"] == "http.response.body" and answer["problem"]:
                answer["problem"] = False  # a problem is one small chunk: read the first
                answer["code"] = _problem_code(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._answered(scope, root_path, answer, perf_counter() - started)

    def _answered(
        self, scope: Scope, root_path: str, answer: dict[str, Any], seconds: float
    ) -> None:
        state = scope.get("state") or {}
        status = int(answer["status"])
        code = answer["code"] or ("ok" if status < 400 else str(status))
        route = route_template(scope, root_path)
        if route == UNMATCHED and status == 413:
            route = would_route(scope)
        self.metrics.request(route, str(scope.get("method")), status, seconds)
        command = state.get("command")
        if command is not None:
            self.metrics.command(command, code)
        fields = {
            "event": "request",
            "request_id": state.get("request_id"),
            "actor": state.get("actor"),
            "method": scope.get("method"),
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "command": command,
            "code": None if code == "ok" else code,
            "aggregate_id": state.get("aggregate_id"),
            "position": state.get("position"),
        }
        level = logging.INFO if status < 500 else logging.WARNING
        logger.log(level, "%s %s %s", scope.get("method"), route, status, extra=fields)


class BodyTooLarge(Exception):
    """The request's body passed the limit while it was being received."""


def max_body_bytes(scope: Scope) -> int:
    """The deployment's body limit, from the settings of the app's services."""
    services = getattr(getattr(scope.get("app"), "state", None), "services", None)
    settings = getattr(services, "settings", None)
    return int(getattr(settings, "max_body_bytes", DEFAULT_MAX_BODY_BYTES))


def too_large(limit: int) -> Any:
    """`413 payload_too_large` problem+json; the connection is not kept (body unread)."""
    response = problem(
        413,
        "payload_too_large",
        "Payload too large",
        f"the request body is larger than the {limit} bytes allowed (MOPS_MAX_BODY_BYTES)",
        max_bytes=limit,
    )
    response.headers["Connection"] = "close"
    return response


class BodyLimit:
    """`413` for a body over `MOPS_MAX_BODY_BYTES`, never read to its end."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max_body_bytes(scope)
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await too_large(limit)(scope, receive, send)
            return
        state = {"received": 0, "over": False, "started": False}

        async def counting(message_limit: int = limit) -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > message_limit:
                    state["over"] = True
                    raise BodyTooLarge
            return message

        async def sending(message: Message) -> None:
            # Once the body is over the limit, what the app makes of its cut-short
            # reading (an error answer) is dropped: the 413 below is the answer.
            if state["over"] and not state["started"]:
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except BodyTooLarge:
            if not state["over"] or state["started"]:
                raise
        if state["over"] and not state["started"]:
            await too_large(limit)(scope, receive, send)
