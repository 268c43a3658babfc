"""The composition root: settings in, a wired back office and read side out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.application import Application

from application.backoffice import Backoffice, Policy, utc_now
from application.ports import KpiAttainment, Ports
from domain.calendar import BusinessCalendar, parse_days, parse_holidays, parse_hours
from interfaces.settings import Settings
from projections.notice_clock import NoticeSettings
from projections.runner import ReadSide, create_tables

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
        webhook_hosts=frozenset(h.strip().casefold() for h in settings.webhook_hosts.split(",")),
        penalty_cap=settings.penalty_cap,
        late_interest_daily=settings.late_interest_daily,
        sla_clock=settings.sla_clock,
        business_calendar=business_calendar_of(settings),
    )


def business_calendar_of(settings: Settings) -> BusinessCalendar:
    """The business calendar of the settings (MOPS_BUSINESS_DAYS, _HOURS, _TIMEZONE, _HOLIDAYS)."""
    opens, closes = parse_hours(settings.business_hours)
    return BusinessCalendar(
        days=parse_days(settings.business_days),
        opens=opens,
        closes=closes,
        zone=ZoneInfo(settings.timezone),
        holidays=parse_holidays(settings.holidays),
    )


def notice_settings_of(settings: Settings) -> NoticeSettings:
    """The settings of the notifications' clock: tick, dunning levels, webhook retries."""
    dunning_days = tuple(int(days) for days in settings.dunning_levels.split(","))
    if list(dunning_days) != sorted(set(dunning_days)):
        raise SystemExit("MOPS_DUNNING_LEVELS: days overdue of levels 1-3, ascending (1,30,60)")
    return NoticeSettings(
        tick_seconds=settings.tick_seconds,
        dunning_days=dunning_days,
        retry_seconds=settings.webhook_retry_seconds,
        retry_max_seconds=settings.webhook_retry_max_seconds,
        retry_for_seconds=settings.webhook_retry_for_seconds,
        risk_thresholds=dict(settings.risk_thresholds),
    )


def kpi_attainment_source(
    read_side: ReadSide, *, timeout: float, catch_up_from: Application[Any] | None = None
) -> KpiAttainment:
    """The KPI attainment port an appraisal reads, over the `kpis` read model.

    It reads the read model once that has folded the log up to the command's `head`
    (waiting up to `timeout`; None when it could not catch up, so finalising is refused
    rather than scored on stale figures). With `catch_up_from`, for a process running
    no projections (the demo), it folds the events of that application's log the view
    lacks into the view itself instead, unless another process runs the read side: then
    it waits for that one, as a server does.
    """

    def attainment(employee_id: str, period: str, head: int) -> Mapping[str, Any] | None:
        folded_here = catch_up_from is not None and read_side.catch_up_here("kpis", catch_up_from)
        if not folded_here and not read_side.wait("kpis", head, timeout):
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
    # Several processes may start at once (`serve --workers`): they create tables one
    # at a time, and the back office below creates none.
    create_tables(Backoffice, env, settings.dialect, read_models=False)
    read_side = ReadSide(
        Backoffice, env, settings.dialect, run=run_projections, notices=notice_settings_of(settings)
    )
    try:
        kpi_attainment = kpi_attainment_source(read_side, timeout=settings.read_wait_seconds)
        ports = Ports(kpi_attainment=kpi_attainment)
        backoffice = Backoffice(
            {**env, "CREATE_TABLE": "n"}, policy=policy, clock=clock, ports=ports
        )
    except BaseException:
        read_side.close()
        raise
    return Services(settings, backoffice, read_side, secret)


def create_database_tables(settings: Settings) -> None:
    """Create every table of the database (events, read models) unless made already."""
    create_tables(Backoffice, settings.persistence_env(), settings.dialect)
