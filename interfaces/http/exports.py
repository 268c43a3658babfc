"""Every list and report as CSV or an Excel workbook (API.md, Queries): one middleware.

A `GET` asking for `?format=csv`, `?format=xlsx` or `Accept: text/csv` (or the xlsx
media type) is answered by calling the same route for its JSON, page after page: the
same parameters, `limit` at its maximum, `cursor` following `next_cursor` until none is
left. Every page runs the whole route (its token, role, filters, read-your-writes wait),
so an export answers exactly what the JSON pages do, and every refusal stays the route's
own problem+json. The rows go to a spool file (interfaces/http/tabular.py) as they come,
then the answer streams from it: CSV in chunks, the workbook written with openpyxl's
write-only mode to a temporary file and then sent. Memory holds a page, never the table.

Which routes: a `GET` declaring the problems of a list (`openapi.LIST`), every route
under `/reports/`, and an aggregate's `/history`. A list answers its `items`; a report
of one object (`/reports/budgets/{id}`, `/reports/risks`, an employee's KPIs) answers
its lists of objects (budget `lines`; risk `register`, `overdue_actions`,
`indicators`): the workbook has a sheet for each and a `report` sheet of its other
members flattened (`heat_map.3-4`, `by_expense_type.travel`); CSV holds the first list,
or the one `?table=` names. `limit` and `cursor` are ignored (an export holds every
row). Any other `format` than csv, xlsx or json is `422 validation_error`, once the
route itself has accepted the request (a 401 or 403 still comes first).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import anyio.to_thread
from fastapi import FastAPI
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import ValidationFailed
from interfaces.http.errors import domain_problem
from interfaces.http.openapi import LIST
from interfaces.http.reads import MAX_LIMIT
from interfaces.http.tabular import Spool, csv_chunks, write_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
MEDIA_TYPES = {"csv": f"{CSV}; charset=utf-8", "xlsx": XLSX}
FORMATS = ("csv", "xlsx", "json")
# The page size an export asks its route for (tests lower it to cross many pages).
PAGE_SIZE = MAX_LIMIT
# Parameters of the export itself, never passed to the route.
OWN_PARAMETERS = ("format", "table")
# Parameters that page or wait, left out of the file's name.
PAGING_PARAMETERS = ("limit", "cursor", "wait_for")
SEND_CHUNK_BYTES = 64 * 1024
LAGGING_HEADER = b"mops-read-model-lagging"


def wanted_format(params: QueryParams, accept: str) -> str:
    """`csv`, `xlsx`, `json`, or what else `?format=` says (the last one given wins).

    Without `format`, the media type the client accepts most (ties: the first listed);
    `*/*` and anything else mean JSON.
    """
    given = params.getlist("format")
    if given:
        return given[-1].strip().lower()
    best, best_q = "json", 0.0
    by_media = {CSV: "csv", XLSX: "xlsx", "application/json": "json"}
    for part in accept.split(","):
        media, *options = (piece.strip() for piece in part.split(";"))
        kind = by_media.get(media.lower())
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if kind is not None and q > best_q:
            best, best_q = kind, q
    return best


def exportable(route: Any) -> bool:
    """Whether a route is a list or a report: one of LIST, under /reports/, or a history."""
    path = getattr(route, "path", None)
    methods = getattr(route, "methods", None) or ()
    if not isinstance(path, str) or "GET" not in methods:
        return False
    if not getattr(route, "include_in_schema", False):
        return False
    responses = getattr(route, "responses", None) or {}
    content = responses.get(200, {}).get("content", {})
    if content and "application/json" not in content:  # it answers something else (text)
        return False
    if path.startswith("/reports/") or path.endswith("/history"):
        return True
    return 404 not in responses and all(
        responses.get(status) == problem for status, problem in LIST.items()
    )


def report_name(path: str) -> str:
    """What a path names: `/reports/credit/alerts` → `credit-alerts`, `/customers`."""
    return path.removeprefix("/reports/").strip("/").replace("/", "-") or "export"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_UNSAFE_UNICODE = re.compile(r"[^\w.-]+")


def file_name(path: str, params: QueryParams, extension: str) -> tuple[str, str]:
    """The file's name: the report (its path after /reports) and its parameters.

    `/reports/sales?group_by=month&from=2026-01-01` → `sales_group_by-month_from-2026-01-01`.
    Returns the ASCII name and one keeping other letters (for `filename*`).
    """
    values: dict[str, list[str]] = {}
    for name, value in params.multi_items():
        if name not in ("format", *PAGING_PARAMETERS):
            values.setdefault(name, []).append(value)
    parts = [report_name(path)] + [f"{name}-{'-'.join(given)}" for name, given in values.items()]
    names = []
    for unsafe in (_UNSAFE, _UNSAFE_UNICODE):
        stem = "_".join(unsafe.sub("-", part) for part in parts)[:150]
        names.append(f"{stem}.{extension}")
    return names[0], names[1]


def disposition(path: str, params: QueryParams, extension: str) -> str:
    """`attachment; filename="…"`, with `filename*` when the name has other letters."""
    ascii_name, full_name = file_name(path, params, extension)
    value = f'attachment; filename="{ascii_name}"'
    if full_name != ascii_name:
        value += f"; filename*=UTF-8''{quote(full_name)}"
    return value


@dataclass
class Answer:
    """One answer of the route, as it came: status, headers and body."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    @property
    def rows(self) -> bool:
        """Whether it is a JSON answer of rows (200, JSON)."""
        content_type = Headers(raw=self.headers).get("content-type", "")
        return self.status == 200 and content_type.startswith("application/json")

    async def replay(self, send: Send) -> None:
        """Send it on unchanged."""
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


async def call_route(app: ASGIApp, scope: Scope, receive: Receive, query: str) -> Answer:
    """The route's JSON answer to the request with another query string."""
    headers = [(k, v) for k, v in scope.get("headers", []) if k != b"accept"]
    inner = {
        **scope,
        "query_string": query.encode(),
        "headers": [*headers, (b"accept", b"application/json")],
    }
    requested = False
    answer = Answer()
    chunks: list[bytes] = []

    async def no_body() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status, answer.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(inner, no_body, keep)
    answer.body = b"".join(chunks)
    if "route" in inner:  # the request's log line and metrics name the route's template
        scope["route"] = inner["route"]
    return answer


def page_query(params: QueryParams, cursor: str | None) -> str:
    """The route's query for one page: the request's own, without the export's
    parameters, at the largest page size, from `cursor`."""
    kept = [
        (k, v) for k, v in params.multi_items() if k not in (*OWN_PARAMETERS, "limit", "cursor")
    ]
    kept.append(("limit", str(PAGE_SIZE)))
    if cursor is not None:
        kept.append(("cursor", cursor))
    return urlencode(kept)


def _asks_export(scope: Scope) -> bool:
    """A quick look: whether the request may ask for another format than JSON."""
    if b"format=" in scope.get("query_string", b""):
        return True
    accept = Headers(scope=scope).get("accept", "").lower()
    return CSV in accept or XLSX in accept


def _refusal(name: str, message: str) -> Answer:
    response = domain_problem(ValidationFailed.of(name, message))
    return Answer(response.status_code, list(response.raw_headers), bytes(response.body))


def _lagging(answer: Answer) -> bool:
    return any(key.lower() == LAGGING_HEADER for key, _ in answer.headers)


@dataclass
class Tables:
    """What an export holds: its tables, spooled, and whether a page lagged."""

    spools: list[Spool] = field(default_factory=list)
    lagging: bool = False

    def close(self) -> None:
        for spool in self.spools:
            spool.close()


def tables_of(body: Any, title: str) -> list[tuple[str, list[Any]]]:
    """The tables of a JSON answer: a list's `items`; or a report object's lists of
    objects, then a `report` row of its other members (alone when it has no list)."""
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return [(title, body["items"])]
    if not isinstance(body, dict):
        return [(title, body if isinstance(body, list) else [body])]
    lists = {
        name: value
        for name, value in body.items()
        if isinstance(value, list) and all(isinstance(item, dict) for item in value)
    }
    rest = {name: value for name, value in body.items() if name not in lists}
    found: list[tuple[str, list[Any]]] = list(lists.items())
    if rest or not found:
        found.append(("report", [rest]))
    return found


def _spool_page(spool: Spool, body: bytes) -> str | None:
    """Spool a list page's items; its `next_cursor`."""
    page = json.loads(body)
    spool.add(page["items"])
    cursor = page.get("next_cursor")
    return cursor if isinstance(cursor, str) else None


class Exports:
    """The ASGI middleware answering a list or report as CSV or as an Excel workbook."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or not _asks_export(scope):
            await self.app(scope, receive, send)
            return
        params = QueryParams(scope.get("query_string", b""))
        kind = wanted_format(params, Headers(scope=scope).get("accept", ""))
        if kind == "json":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        first = await call_route(self.app, scope, receive, page_query(params, None))
        if not exportable(scope.get("route")):  # not a list: the route answers as asked
            await self.app(scope, receive, send)
            return
        if not first.rows:
            await first.replay(send)
            return
        if kind not in FORMATS:
            await _refusal("format", "must be one of csv, xlsx, json").replay(send)
            return
        tables = Tables()
        try:
            failed = await self._collect(tables, first, params, scope, receive, kind)
            if failed is not None:
                await failed.replay(send)
                return
            headers = self._headers(scope, params, kind, tables.lagging)
            if kind == "csv":
                await _send_csv(tables.spools[0], headers, send)
            else:
                await _send_workbook(tables.spools, headers, send)
        finally:
            tables.close()

    async def _collect(
        self,
        tables: Tables,
        first: Answer,
        params: QueryParams,
        scope: Scope,
        receive: Receive,
        kind: str,
    ) -> Answer | None:
        """Spool every table asked for, page after page; an error answer, if one came."""
        body = await anyio.to_thread.run_sync(json.loads, first.body)
        found = tables_of(body, report_name(str(scope.get("path", ""))))
        wanted = params.get("table")
        if wanted is not None:
            found = [(name, rows) for name, rows in found if name == wanted]
            if not found:
                return _refusal("table", "names no table of this answer")
        elif kind == "csv":
            found = found[:1]
        tables.lagging = _lagging(first)
        for name, rows in found:
            tables.spools.append(Spool(name))
            await anyio.to_thread.run_sync(tables.spools[-1].add, rows)
        cursor = body.get("next_cursor") if isinstance(body, dict) else None
        while isinstance(cursor, str) and "items" in body:
            page = await call_route(self.app, scope, receive, page_query(params, cursor))
            if not page.rows:
                return page
            tables.lagging = tables.lagging or _lagging(page)
            after = await anyio.to_thread.run_sync(_spool_page, tables.spools[0], page.body)
            cursor = None if after == cursor else after
        return None

    @staticmethod
    def _headers(
        scope: Scope, params: QueryParams, kind: str, lagging: bool
    ) -> list[tuple[bytes, bytes]]:
        path = str(scope.get("path", ""))
        headers = [
            (b"content-type", MEDIA_TYPES[kind].encode()),
            (b"content-disposition", disposition(path, params, kind).encode()),
        ]
        if lagging:
            headers.append((LAGGING_HEADER, b"true"))
        return headers


async def _send_csv(spool: Spool, headers: list[tuple[bytes, bytes]], send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    chunks = csv_chunks(spool)
    while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _send_workbook(
    spools: list[Spool], headers: list[tuple[bytes, bytes]], send: Send
) -> None:
    with tempfile.TemporaryFile() as out:
        await anyio.to_thread.run_sync(write_workbook, spools, out)
        size = out.tell()
        out.seek(0)
        length = (b"content-length", str(size).encode())
        await send({"type": "http.response.start", "status": 200, "headers": [*headers, length]})
        while chunk := await anyio.to_thread.run_sync(out.read, SEND_CHUNK_BYTES):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def install(app: FastAPI) -> None:
    """Serve exports, and say so in the OpenAPI document of every list and report."""
    app.add_middleware(Exports)
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        return describe_exports(generate(), app.routes)

    app.openapi = openapi  # type: ignore[method-assign]


FORMAT_PARAMETER = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "`csv` or `xlsx` (an Excel workbook): every row of every page, one column "
    "per field (nested objects as `overdue.1_30`), with a `Content-Disposition` file name; "
    "`Accept: text/csv` asks for CSV too. Default: JSON",
    "schema": {"type": "string", "enum": list(FORMATS)},
}
TABLE_PARAMETER = {
    "name": "table",
    "in": "query",
    "required": False,
    "description": "with `format`: the one table to export, for a report of one object "
    "(`lines`, `register`, `overdue_actions`, ..., or `report`: its other members); a "
    "list's one table is `items`. Default: CSV the first, a workbook a sheet each",
    "schema": {"type": "string"},
}
EXPORT_CONTENT = {
    CSV: {"schema": {"type": "string"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}},
}


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _routes(inner.routes) if inner is not None else (route,)


def describe_exports(document: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """Add the CSV and xlsx answers, and `format` and `table`, to each list and report."""
    for route in _routes(routes):
        operation = document.get("paths", {}).get(route.path, {}).get("get")
        if operation is None or not exportable(route):
            continue
        named = {parameter["name"] for parameter in operation.get("parameters", [])}
        for parameter in (FORMAT_PARAMETER, TABLE_PARAMETER):
            if parameter["name"] not in named:
                operation.setdefault("parameters", []).append(parameter)
        answer = operation.setdefault("responses", {}).setdefault("200", {})
        content = answer.setdefault("content", {})
        for media, schema in EXPORT_CONTENT.items():
            content.setdefault(media, schema)
    return document
