"""Bodies of the risk commands (API.md, risks).

Every body takes an optional `occurred_at` beyond API.md (as the complaint bodies do):
the register is often written up after the meeting that assessed or closed a risk,
and the report as of a date reads business time. Clients that leave it out get "now".
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime

from interfaces.http.schemas.common import Command, Score1to5, ShortText, Text, example

Category = Literal["market", "credit", "operational", "legal"]


class IdentifyRisk(Command):
    model_config = example(
        {
            "category": "credit",
            "title": "Receivables concentrated on three distributors",
            "description": "Three distributors owe 60% of receivables",
        }
    )
    category: Category
    title: ShortText
    description: Text
    owner_id: ShortText | None = None
    occurred_at: AwareDatetime | None = None


class Assess(Command):
    model_config = example(
        {"likelihood": 3, "impact": 4, "rationale": "Two distributors paid late twice this year"}
    )
    likelihood: Score1to5
    impact: Score1to5
    rationale: Text
    occurred_at: AwareDatetime | None = None


class AddAction(Command):
    model_config = example(
        {"description": "Ask for bank guarantees above 500k", "due_on": "2026-06-30"}
    )
    description: Text
    owner_id: ShortText | None = None
    due_on: date
    occurred_at: AwareDatetime | None = None


class CompleteAction(Command):
    model_config = example({"outcome": "Guarantees received from two distributors"})
    outcome: Text
    occurred_at: AwareDatetime | None = None


class Close(Command):
    model_config = example({"reason": "Exposure back under 30%"})
    reason: Text
    occurred_at: AwareDatetime | None = None


class Reopen(Command):
    model_config = example({"reason": "A distributor defaulted"})
    reason: Text
    occurred_at: AwareDatetime | None = None
