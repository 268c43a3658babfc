"""What every page shares: the session cookie, the caller, the language, the templates."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from application.permissions import Caller
from domain.errors import DomainError, Forbidden
from interfaces.auth import caller_from
from interfaces.bootstrap import Services
from interfaces.http.errors import STATUS_BY_CODE
from interfaces.web import i18n
from interfaces.web.api import ApiReader
from interfaces.web.catalogue import BY_AGGREGATE_TYPE, COLLECTIONS, LINKED_FIELDS, REPORTS
from interfaces.web.cells import Cells, Names

TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "mops_session"


@cache
def environment(lang: str) -> Environment:
    """The templates, with the gettext of one language installed (`{{ _("…") }}`)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def session_caller(request: Request, services: Services) -> Caller | None:
    """The caller whose token the session cookie holds, while it is valid; else None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        caller = caller_from(
            f"Bearer {token}",
            services.jwt_secret,
            max_ttl=timedelta(minutes=services.settings.token_max_ttl),
        )
    except DomainError:
        return None
    return caller if caller.roles else None


def token_lifetime(token: str) -> int:
    """Seconds until a token (already checked) expires: how long its session lasts."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return max(int(claims["exp"]) - int(time.time()), 0)


def to_sign_in(request: Request) -> RedirectResponse:
    """The sign-in page, to come back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/sign-in?next={quote(here, safe='')}", status_code=303)


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a page of ours, never another site."""
    if value and value.startswith("/ui") and not value.startswith("//") and "\\" not in value:
        return value
    return "/ui"


class Page:
    """One page being answered: who asks, in which language, and how to render it."""

    def __init__(self, request: Request, services: Services, caller: Caller | None) -> None:
        self.request = request
        self.services = services
        self.caller = caller
        self.lang = i18n.language_of(request)
        self.translations = i18n.translations(self.lang)
        self.names = Names(services)
        self.cells = Cells(self.lang, services.settings.currency, self.names, self.label)

    @property
    def api(self) -> ApiReader:
        """The API's queries, as this page's caller."""
        if self.caller is None:
            raise Forbidden("sign in first")
        return ApiReader(self.services, self.caller)

    def label(self, key: str) -> str:
        """A field's name in the page's language (the English one spelled out)."""
        text = self.translations.gettext(key)
        if text != key:
            return text
        if key.endswith("_id") and key in LINKED_FIELDS:
            return self.label(key[:-3])
        spelled = key.replace("_", " ").replace("-", " ").strip()
        return spelled[:1].upper() + spelled[1:]

    def query(self) -> dict[str, list[str]]:
        """The page's query string, each name with all its values."""
        values: dict[str, list[str]] = {}
        for name, value in self.request.query_params.multi_items():
            values.setdefault(name, []).append(value)
        return values

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A template rendered in the page's language."""
        html = environment(self.lang).get_template(template).render(
            page=self, cells=self.cells, label=self.label, collections=COLLECTIONS,
            reports=REPORTS, by_type=BY_AGGREGATE_TYPE, **context,
        )  # fmt: skip
        response = HTMLResponse(html, status_code=status)
        asked = self.request.query_params.get("lang")
        if asked in i18n.LANGUAGES:
            response.set_cookie(
                i18n.LANG_COOKIE, asked, max_age=365 * 86400, path="/ui", samesite="strict"
            )
        return response

    def refusal(self, error: DomainError) -> HTMLResponse:
        """A refusal of the API (403, 404, 422) as a page with its status."""
        status = STATUS_BY_CODE.get(error.code, 422)
        return self.render("error.html", status=status, error=error, status_code=status)

    def export_link(self, file_format: str) -> str:
        """This list's or report's rows, every page, as a file (`/ui/export/...`)."""
        changes: dict[str, str | None] = {"cursor": None, "format": file_format, "lang": None}
        return "/ui/export" + self.link(**changes).removeprefix("/ui")

    def link(self, **changes: str | None) -> str:
        """This page's URL with some query values changed (None drops one)."""
        items = [(k, v) for k, v in self.request.query_params.multi_items() if k not in changes]
        items += [(k, v) for k, v in changes.items() if v is not None]
        query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in items)
        return self.request.url.path + (f"?{query}" if query else "")


def signed_in_page(request: Request, services: Services) -> Page | Response:
    """The page for the session's caller, or the way to sign-in when there is none."""
    caller = session_caller(request, services)
    if caller is None:
        return to_sign_in(request)
    return Page(request, services, caller)
