"""Bodies of the staffing-plan commands (API.md, staffing-plans)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt

from interfaces.http.schemas.common import Command, Money, ShortText, Text

Quarter = Literal["Q1", "Q2", "Q3", "Q4"]


class StaffingLine(Command):
    position: ShortText
    quarter: Quarter
    headcount: StrictInt = Field(ge=0, le=100_000)
    monthly_cost_per_head: Money = Field(ge=0)


class DraftStaffingPlan(Command):
    department: ShortText
    fiscal_year: StrictInt = Field(ge=1900, le=9998)
    lines: list[StaffingLine] = Field(max_length=400)


class AmendStaffingPlan(Command):
    lines: list[StaffingLine] = Field(max_length=400)


class Return(Command):
    comments: Text
