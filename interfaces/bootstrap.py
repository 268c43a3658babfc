"""The composition root: settings in, a wired back office and read side out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.application import Application

from application.backoffice import Backoffice, Policy, utc_now
from application.ports import KpiAttainment, Ports
from interfaces.settings import Settings
from projections.runner import READ_MODELS, ReadSide
from projections.runner import catch_up as _catch_up

# Only for `serve --dev`, tests and a developer's `mops token`: never a deployment's.
DEV_JWT_SECRET = "mops-dev-secret-not-for-production"


@dataclass
class Services:
    """Everything a request or a CLI command needs, built once."""

    settings: Settings
    backoffice: Backoffice
    read_side: ReadSide
    jwt_secret: str

    def close(self) -> None:
        self.read_side.close()
        self.backoffice.close()


def policy_of(settings: Settings) -> Policy:
    """The business settings the back office hands to the domain."""
    return Policy(
        backdating=timedelta(days=settings.backdating_days),
        write_off_limit=settings.write_off_limit,
        expense_standards=dict(settings.expense_standards),
        sla_response_hours=dict(settings.sla_response_hours),
        sla_resolution_hours=dict(settings.sla_resolution_hours),
        appraisal_source_weights=dict(settings.appraisal_source_weights),
        appraisal_component_weights=dict(settings.appraisal_component_weights),
        discount_limits=dict(settings.discount_limits),
        require_list_price=settings.require_list_price,
        stage_probabilities=dict(settings.stage_probabilities),
    )


def kpi_attainment_source(
    read_side: ReadSide, *, timeout: float, catch_up_from: Application[Any] | None = None
) -> KpiAttainment:
    """The KPI attainment port an appraisal reads, over the `kpis` read model.

    It reads the read model once that has folded the log up to the command's `head`
    (waiting up to `timeout`; None when it could not catch up, so finalising is refused
    rather than scored on stale figures). With `catch_up_from`, for a process running
    no projections (the demo), it folds the events of that application's log the view
    lacks into the view itself instead.
    """

    def attainment(employee_id: str, period: str, head: int) -> Mapping[str, Any] | None:
        if catch_up_from is not None:
            _catch_up(catch_up_from, READ_MODELS["kpis"], read_side.view("kpis"))
        elif not read_side.wait("kpis", head, timeout):
            return None
        return read_side.view("kpis").attainment(employee_id, period)

    return attainment


def build(
    settings: Settings,
    *,
    run_projections: bool | None = None,
    dev: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> Services:
    """Wire the back office and its read side for these settings."""
    secret = settings.jwt_secret or (DEV_JWT_SECRET if dev else None)
    if not secret:
        raise SystemExit("MOPS_JWT_SECRET is required (or run `mops serve --dev`)")
    env = settings.persistence_env()
    policy = policy_of(settings)
    if run_projections is None:
        run_projections = settings.projections == "inprocess"
    # The port reads the read side, which follows the log: its tables must exist first.
    Backoffice(env).close()  # creates the event tables if this is a new database
    read_side = ReadSide(Backoffice, env, settings.dialect, run=run_projections)
    kpi_attainment = kpi_attainment_source(read_side, timeout=settings.read_wait_seconds)
    ports = Ports(kpi_attainment=kpi_attainment)
    backoffice = Backoffice(env, policy=policy, clock=clock, ports=ports)
    return Services(settings, backoffice, read_side, secret)
