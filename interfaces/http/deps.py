"""Request dependencies: the wired services and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from application.backoffice import Backoffice
from application.permissions import Caller
from interfaces.auth import caller_from
from interfaces.bootstrap import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_backoffice(services: ServicesDep) -> Backoffice:
    return services.backoffice


BackofficeDep = Annotated[Backoffice, Depends(get_backoffice)]


def current_caller(request: Request, services: ServicesDep) -> Caller:
    return caller_from(request.headers.get("authorization"), services.jwt_secret)


CurrentCaller = Annotated[Caller, Depends(current_caller)]
