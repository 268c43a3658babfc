"""`GET /reports/risks`: the risk register, its heat map, overdue actions and warnings.

One object (API.md): `as_of` (a date meaning the end of that day UTC, or a timestamp;
now by default), echoed as passed or as the moment used; `register`, `heat_map` and
`overdue_actions` as the register read model gives them at `as_of` (business time;
projections/risks.py), with `past_levels` on each register entry beyond API.md; and
`indicators`, the early-warning indicators at `as_of` (projections/warnings.py) with
the thresholds of the settings, each with `risk_ids`: the risks of its category open
at `as_of`, sorted. Reads wait for the register and every read model the indicators
read (read-your-writes, or `?wait_for=`). `known_at` (a date meaning the end of that
day UTC, or a timestamp) answers as the service did then, every one of those read
models as recorded by then, echoed as passed (interfaces/http/reads.py, `report_side`);
without `as_of`, computed for that moment.
"""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.errors import ValidationFailed
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, answer_of
from interfaces.http.reads import EARLIEST_REPORT_DAY, moment, report_side
from interfaces.http.routers.report_answers import as_of_echo
from interfaces.http.schemas.answers import reports as answers
from projections.risks import open_by_category, with_risk_ids
from projections.warnings import WARNING_READ_MODELS, early_warnings

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/risks", responses=answer_of(answers.RiskReport, LIST))
def risk_report(
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    known_at: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """The register with current and past levels, a 5 x 5 heat map, overdue actions, warnings."""
    passed = moment(as_of, "as_of")
    # The indicators look back from as_of: before this there is no such past to read.
    if passed is not None and passed.astimezone(UTC).date() < EARLIEST_REPORT_DAY:
        raise ValidationFailed.of("as_of", f"must lie on or after {EARLIEST_REPORT_DAY}")
    side = report_side(services, ["risks", *WARNING_READ_MODELS], known_at, wait_for)
    at = passed or side.now
    report = side.view("risks").report(at)
    indicators = early_warnings(side, at, services.settings.risk_thresholds)
    return side.answer(
        {
            "as_of": as_of_echo(as_of, at),
            **report,
            "indicators": with_risk_ids(indicators, open_by_category(report["register"])),
        }
    )
