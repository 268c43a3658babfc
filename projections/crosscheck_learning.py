"""The rows `GET /training-programs` and `GET /research-reports` must show, derived a second
time from the aggregates' state (see projections/crosscheck.py): never from events."""

from __future__ import annotations

import json
from typing import Any

from domain.research_report import ResearchReport
from domain.training_program import TrainingProgram
from projections.crosscheck_formats import day, stamps, text
from projections.events import iso_utc_or_none

Row = dict[str, Any]


def _participants(program: TrainingProgram) -> str:
    entries = {}
    for employee_id, p in program.participants.items():
        a = p["assessment"]
        entries[employee_id] = {
            "attended": sorted(s for s, attended in p["attendance"].items() if attended),
            "reaction": a["reaction"] if a else None,
            "pre": text(a["pre_score"]) if a else None,
            "post": text(a["post_score"]) if a else None,
        }
    return json.dumps(entries, sort_keys=True)


def training_program_row(p: TrainingProgram, position: int) -> Row:
    """What `GET /training-programs` (and the training report) must hold of a program."""
    review = p.review
    return {
        **stamps(p, position, "planned"),
        "title": p.title,
        "kind": p.kind,
        "status": p.status,
        "trainer": p.trainer,
        "budget_id": str(p.budget_id),
        "period": p.period,
        "first_session_on": p.sessions[0]["starts_at"].date().isoformat(),
        "target_departments": json.dumps(list(p.target_departments)),
        "planned_cost": str(p.planned_cost),
        "sessions": json.dumps(
            {s["session_id"]: str(s["hours"]) for s in p.sessions}, sort_keys=True
        ),
        "participants": _participants(p),
        "enrolled": len(p.participants),
        "completed_on": day(p.completed_on),
        "actual_cost": text(p.actual_cost),
        "kpi_change": text(review["kpi_change_avg"]) if review else None,
    }


def research_report_row(r: ResearchReport, position: int) -> Row:
    """What `GET /research-reports` (and the competitors report) must hold of a report."""
    return {
        **stamps(r, position, "drafted"),
        "title": r.title,
        "topic": r.topic,
        "method": r.method,
        "status": r.status,
        "region": r.region,
        "fieldwork_from": r.fieldwork_from.isoformat(),
        "fieldwork_to": r.fieldwork_to.isoformat(),
        "author_id": r.author_id,
        "competitors": json.dumps([c["name"] for c in r.competitors]),
        "detail": json.dumps(
            [
                {
                    "name": c["name"],
                    "market_share": text(c["market_share"]),
                    "price_position": c["price_position"],
                    "strengths": list(c["strengths"]),
                    "weaknesses": list(c["weaknesses"]),
                }
                for c in r.competitors
            ]
        ),
        "published_at": iso_utc_or_none(r.published_at),
    }
