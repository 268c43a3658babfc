"""`/ui`: the read-only web pages, one route function a page.

Each page reads through the API's own query functions (interfaces/web/api.py) as the
session's caller, so the read rules of the API hold on the pages: a refusal of the API
is the page's answer, with its status (403, 404, 422).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from domain.errors import DomainError, NotFound
from interfaces.auth import caller_from
from interfaces.bootstrap import Services
from interfaces.http.deps import ServicesDep
from interfaces.web import dashboard, views
from interfaces.web.api import endpoint
from interfaces.web.catalogue import COLLECTIONS
from interfaces.web.page import (
    SESSION_COOKIE,
    Page,
    safe_next,
    signed_in_page,
    token_lifetime,
)
from interfaces.web.sign_in_codes import codes_of

router = APIRouter(prefix="/ui", include_in_schema=False)


def static_files() -> StaticFiles:
    """The pages' stylesheet, served by mops itself (mounted at /ui/static)."""
    return StaticFiles(directory=Path(__file__).parent / "static")


@router.get("/sign-in")
def sign_in_form(request: Request, services: ServicesDep) -> Response:
    """The sign-in form: paste a token that `mops token` minted; or the one-time link of
    `mops token --link` (`?code=`), which opens the session at once, once."""
    page = Page(request, services, None)
    goal = safe_next(request.query_params.get("next"))
    code = request.query_params.get("code")
    if code is None:
        return page.render("sign_in.html", next=goal)
    token = codes_of(services.backoffice).redeem(code)
    if token is None:
        problem = "this sign-in link was used already or has expired"
        return page.render("sign_in.html", status=401, next=goal, problem=problem)
    return _session(request, services, page, token, goal)


@router.post("/sign-in")
async def sign_in(request: Request, services: ServicesDep) -> Response:
    """Check the token; a valid one opens a session (an HttpOnly, SameSite=Strict cookie
    holding it, living as long as the token does)."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    goal = safe_next((form.get("next") or [""])[0])
    return _session(request, services, Page(request, services, None), token, goal)


def _session(request: Request, services: Services, page: Page, token: str, goal: str) -> Response:
    """A session for a valid token (a redirect setting its cookie), or the form again."""
    max_ttl = timedelta(minutes=services.settings.token_max_ttl)
    try:
        caller = caller_from(f"Bearer {token}", services.jwt_secret, max_ttl=max_ttl)
    except DomainError as error:
        return page.render("sign_in.html", status=401, next=goal, problem=error.detail)
    if not caller.roles:
        return page.render("sign_in.html", status=403, next=goal, problem="no role of mops")
    response = RedirectResponse(goal, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=token_lifetime(token),
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


class ApiAnswer(Response):
    """The API's own answer to a GET of `path`, with the session's token as the bearer:
    the export links of the pages, answered by the API's export (interfaces/http/exports.py)
    under the read rules of the session's caller."""

    def __init__(self, path: str, token: str) -> None:
        super().__init__()
        self.path, self.token = path, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kept = [(k, v) for k, v in scope["headers"] if k not in (b"authorization", b"cookie")]
        headers = [*kept, (b"authorization", f"Bearer {self.token}".encode())]
        dropped = ("route", "endpoint", "path_params", "router", "state")
        inner = {k: v for k, v in scope.items() if k not in dropped}
        inner.update(path=self.path, raw_path=self.path.encode(), headers=headers, state={})
        await scope["app"](inner, receive, send)


def _exportable(path: str) -> bool:
    lists = {collection.list_path for collection in COLLECTIONS.values()}
    return path in lists or path.startswith("/reports/") or path == "/audit/events"


@router.get("/export/{api_path:path}")
def export_file(api_path: str, request: Request, services: ServicesDep) -> Response:
    """A list or report, every page, as CSV or an Excel workbook (`?format=`), for the
    session's caller: the export links of the list and report pages."""
    page = signed_in_page(request, services)
    if isinstance(page, Response):
        return page
    path = "/" + api_path
    if not _exportable(path):
        return page.refusal(NotFound(f"nothing to export at {path}"))
    return ApiAnswer(path, request.cookies[SESSION_COOKIE])


@router.post("/sign-out")
def sign_out() -> Response:
    """End the session."""
    response = RedirectResponse("/ui/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/ui", httponly=True, samesite="strict")
    return response


@router.get("")
def dashboard_page(request: Request, services: ServicesDep) -> Response:
    """The dashboard: KPIs against target, revenue, funnel, credit, budget, SLA, risks."""
    page = signed_in_page(request, services)
    if isinstance(page, Response):
        return page
    panels = dashboard.panels(page, request.query_params.get("period"))
    return page.render("dashboard.html", card_value=dashboard.card_value, **panels)


@router.get("/audit")
def audit_page(request: Request, services: ServicesDep) -> Response:
    """The global log with its filters, and the verification of its hash chain."""
    page = signed_in_page(request, services)
    if isinstance(page, Response):
        return page
    try:
        events = page.api.get(
            "/audit/events",
            query=page.query(),
            limit=100,
            cursor=request.query_params.get("cursor"),
        )
        verdict = page.api.get("/audit/verify")
    except DomainError as error:
        return page.refusal(error)
    fields = views.form_fields(page, endpoint("/audit/events").filters)
    return page.render("audit.html", events=events, verdict=verdict, fields=fields)


@router.get("/reports")
def reports_index(request: Request, services: ServicesDep) -> Response:
    """Every report, with a link to its page."""
    page = signed_in_page(request, services)
    if isinstance(page, Response):
        return page
    return page.render("reports.html")


@router.get("/reports/{name:path}")
def report_page(name: str, request: Request, services: ServicesDep) -> Response:
    """One report: its parameters as a form, its answer as tables."""
    page = signed_in_page(request, services)
    if isinstance(page, Response):
        return page
    try:
        return views.report(page, name)
    except DomainError as error:
        return page.refusal(error)


@router.get("/{collection}")
def list_page(collection: str, request: Request, services: ServicesDep) -> Response:
    """A collection, filtered as its API filters it, a page at a time."""
    page = signed_in_page(request, services)
    if isinstance(page, Response):
        return page
    try:
        if collection not in COLLECTIONS:
            raise NotFound(f"no collection {collection}")
        return views.listing(page, COLLECTIONS[collection])
    except DomainError as error:
        return page.refusal(error)


@router.get("/{collection}/{item_id}")
def aggregate_page(
    collection: str, item_id: str, request: Request, services: ServicesDep
) -> Response:
    """An aggregate: its fields at a version or time, and its history."""
    page = signed_in_page(request, services)
    if isinstance(page, Response):
        return page
    try:
        if collection not in COLLECTIONS:
            raise NotFound(f"no collection {collection}")
        return views.aggregate(page, COLLECTIONS[collection], item_id)
    except DomainError as error:
        return page.refusal(error)
