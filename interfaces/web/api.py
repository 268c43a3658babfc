"""The pages read through the API's own query functions, called in-process.

A page names an API path (`/reports/sales`, `/customers/{customer_id}`); `ApiReader` finds
the route function of the API's routers that serves it and calls it with the caller, the
services and the page's parameters. So a page answers exactly what the API answers, checks the same
read rules and raises the same refusals (`DomainError`), with no HTTP in between and no
second copy of a report's logic.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from application.permissions import Caller
from domain.errors import NotFound, ValidationFailed
from interfaces.bootstrap import Services
from interfaces.http.routers import (
    audit,
    budgets,
    campaigns,
    complaints,
    contracts,
    customers,
    employees,
    expense_claims,
    marketing_plans,
    notifications,
    opportunities,
    price_lists,
    reports_follow_ups,
    reports_kpis,
    reports_marketing,
    reports_pipeline,
    reports_risks,
    reports_sales,
    reports_service,
    risks,
)

# The API's routers whose queries the pages read.
ROUTERS: tuple[APIRouter, ...] = (
    audit.router,
    budgets.router,
    campaigns.router,
    complaints.router,
    contracts.router,
    customers.router,
    employees.router,
    expense_claims.router,
    marketing_plans.router,
    notifications.router,
    opportunities.router,
    price_lists.router,
    reports_follow_ups.router,
    reports_kpis.router,
    reports_marketing.router,
    reports_pipeline.router,
    reports_risks.router,
    reports_sales.router,
    reports_service.router,
    risks.router,
)
# Parameters a page never shows in its form: the reading machinery's, not the filters.
MACHINERY = frozenset({"wait_for", "limit", "cursor"})


@dataclass(frozen=True)
class Parameter:
    """One query parameter of an API route: its name in the URL, and its kind."""

    alias: str
    name: str
    many: bool
    whole: bool
    uuid: bool


def _parameter(field: Any) -> Parameter:
    annotation = field.field_info.annotation
    kinds = set(typing.get_args(annotation)) | {annotation}
    many = any(typing.get_origin(kind) is list for kind in kinds)
    return Parameter(field.alias, field.name, many, int in kinds, UUID in kinds)


@dataclass(frozen=True)
class Endpoint:
    """An API query route: its function and the parameters it takes."""

    path: str
    route: APIRoute

    @property
    def path_names(self) -> list[str]:
        """The route's path parameters, in order."""
        return [field.name for field in self.route.dependant.path_params]

    @property
    def filters(self) -> list[Parameter]:
        """The query parameters a person may set: every one but the machinery's."""
        params = [_parameter(field) for field in self.route.dependant.query_params]
        return [p for p in params if p.alias not in MACHINERY]


def endpoint(path: str) -> Endpoint:
    """The GET route serving an API path template (`/customers/{customer_id}`)."""
    for router in ROUTERS:
        for route in router.routes:
            if (
                isinstance(route, APIRoute)
                and route.path == path
                and "GET" in (route.methods or ())
            ):
                return Endpoint(path, route)
    raise NotFound(f"no query {path}")


def _convert(parameter: Parameter, values: list[str]) -> Any:
    if parameter.many:
        return [v for v in values if v] or None
    value = values[-1] if values else ""
    if value == "":
        return None
    if parameter.whole:
        try:
            return int(value)
        except ValueError:
            raise ValidationFailed.of(parameter.alias, "must be a whole number") from None
    if parameter.uuid:
        return _uuid(parameter.alias, value)
    return value


def _uuid(name: str, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed.of(name, "must be an id (a UUID)") from None


class ApiReader:
    """The API's queries for one caller, answered as the JSON the API would send."""

    def __init__(self, services: Services, caller: Caller) -> None:
        self.services = services
        self.caller = caller

    def get(
        self,
        path: str,
        ids: Mapping[str, str] | None = None,
        query: Mapping[str, list[str]] | None = None,
        **fixed: Any,
    ) -> Any:
        """The API's answer to GET `path` with its path ids and query values (text, as in
        a URL); `fixed` passes values as they are (`limit=10`)."""
        target = endpoint(path)
        arguments: dict[str, Any] = {"caller": self.caller, "services": self.services}
        for name in target.path_names:
            arguments[name] = _uuid(name, (ids or {}).get(name, ""))
        for parameter in target.filters:
            values = (query or {}).get(parameter.alias, [])
            arguments[parameter.name] = _convert(parameter, values)
        known = {field.name for field in target.route.dependant.query_params}
        arguments.update({k: v for k, v in fixed.items() if k in known})
        answer = target.route.endpoint(**arguments)
        if not isinstance(answer, JSONResponse):
            raise TypeError(f"{path} answered {type(answer).__name__}, not JSON")
        return json.loads(bytes(answer.body))
