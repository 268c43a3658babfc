"""Request dependencies: the wired services and the authenticated caller.

They are `async` though they do not wait: FastAPI runs a plain `def` dependency in
its thread pool, a hop per dependency per request.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Annotated

import jwt
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

# Tokens this process has checked and taken, by secret, longest lifetime allowed and
# `Authorization` header: the caller and when the token expires. Every check of
# `caller_from` that holds once holds until then (signature, claims, `iat` and `nbf`
# passed, lifetime), so a token is checked once, not on each request (its signature cost
# ~5 % of a command's CPU); a refused one is checked every time. Cleared when full.
_TAKEN: dict[tuple[str, int, str], tuple[Caller, float]] = {}
TAKEN_MOST = 4096


def taken_caller(authorization: str | None, secret: str, max_ttl_minutes: int) -> Caller:
    """`caller_from`, remembered until the token expires."""
    key = (secret, max_ttl_minutes, authorization or "")
    taken = _TAKEN.get(key)
    if taken is not None and time.time() < taken[1]:  # PyJWT: expired once exp <= now
        return taken[0]
    caller = caller_from(authorization, secret, max_ttl=timedelta(minutes=max_ttl_minutes))
    token = (authorization or "").partition(" ")[2].strip()
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    if len(_TAKEN) >= TAKEN_MOST:
        _TAKEN.clear()
    _TAKEN[key] = (caller, expires)
    return caller


async def current_caller(
    request: Request,
    services: ServicesDep,
    # Declares the bearer scheme for the OpenAPI document; the header is read below.
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> Caller:
    caller = taken_caller(
        request.headers.get("authorization"),
        services.jwt_secret,
        services.settings.token_max_ttl,
    )
    request.state.actor = caller.actor  # for the request's log line
    if not caller.roles:
        raise Forbidden("the token names no role of mops")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
