"""The composition root: settings in, a wired back office and read side out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from application.backoffice import Backoffice, Policy, utc_now
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
    read_side: ReadSide,
    backoffice: Backoffice,
    *,
    timeout: float,
    catch_up: bool = False,
) -> Callable[[str, str], dict[str, Any] | None]:
    """The KPI attainment an appraisal reads: `(employee_id, period) -> reading | None`.

    It reads the `kpis` read model once that has folded the whole log as it stands
    (waiting up to `timeout`; None when it could not catch up, so finalising is refused
    rather than scored on stale figures). With `catch_up`, for a process running no
    projections (the demo), it folds the missing events into the view itself instead.
    """

    def attainment(employee_id: str, period: str) -> dict[str, Any] | None:
        if catch_up:
            _catch_up(backoffice, READ_MODELS["kpis"], read_side.view("kpis"))
        elif not read_side.wait("kpis", backoffice.max_position(), timeout):
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
    backoffice = Backoffice(env, policy=policy, clock=clock)
    if run_projections is None:
        run_projections = settings.projections == "inprocess"
    read_side = ReadSide(Backoffice, env, settings.dialect, run=run_projections)
    backoffice.kpi_attainment = kpi_attainment_source(
        read_side, backoffice, timeout=settings.read_wait_seconds
    )
    return Services(settings, backoffice, read_side, secret)
