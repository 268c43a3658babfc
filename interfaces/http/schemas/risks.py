"""Bodies of the risk commands (API.md, risks).

Every body takes an optional `occurred_at` beyond API.md (as the complaint bodies do):
the register is often written up after the meeting that assessed or closed a risk,
and the report as of a date reads business time. Clients that leave it out get "now".
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime

from interfaces.http.schemas.common import Command, Score1to5, ShortText, Text

Category = Literal["market", "credit", "operational", "legal"]


class IdentifyRisk(Command):
    category: Category
    title: ShortText
    description: Text
    owner_id: ShortText | None = None
    occurred_at: AwareDatetime | None = None


class Assess(Command):
    likelihood: Score1to5
    impact: Score1to5
    rationale: Text
    occurred_at: AwareDatetime | None = None


class AddAction(Command):
    description: Text
    owner_id: ShortText | None = None
    due_on: date
    occurred_at: AwareDatetime | None = None


class CompleteAction(Command):
    outcome: Text
    occurred_at: AwareDatetime | None = None


class Close(Command):
    reason: Text
    occurred_at: AwareDatetime | None = None


class Reopen(Command):
    reason: Text
    occurred_at: AwareDatetime | None = None
