"""Request dependencies: the wired services and the authenticated caller.

They are `async` though they do not wait: FastAPI runs a plain `def` dependency in
its thread pool, a hop per dependency per request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from application.permissions import Caller
from domain.errors import Forbidden
from interfaces.auth import caller_from
from interfaces.bootstrap import Services
from interfaces.http.openapi import bearer


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_caller(
    request: Request,
    services: ServicesDep,
    # Declares the bearer scheme for the OpenAPI document; the header is read below.
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> Caller:
    caller = caller_from(
        request.headers.get("authorization"),
        services.jwt_secret,
        max_ttl=timedelta(minutes=services.settings.token_max_ttl),
    )
    request.state.actor = caller.actor  # for the request's log line
    if not caller.roles:
        raise Forbidden("the token names no role of mops")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
