"""Request dependencies: the wired services and the authenticated caller.

They are `async` though they do not wait: FastAPI runs a plain `def` dependency in
its thread pool, a hop per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from application.backoffice import Backoffice
from application.permissions import Caller, RoleForbidden
from interfaces.auth import caller_from
from interfaces.bootstrap import Services


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_backoffice(services: ServicesDep) -> Backoffice:
    return services.backoffice


BackofficeDep = Annotated[Backoffice, Depends(get_backoffice)]


async def current_caller(request: Request, services: ServicesDep) -> Caller:
    caller = caller_from(request.headers.get("authorization"), services.jwt_secret)
    if not caller.roles:
        raise RoleForbidden("the token names no role of mops")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
