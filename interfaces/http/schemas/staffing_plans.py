"""Bodies of the staffing-plan commands (API.md, staffing-plans)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt

from interfaces.http.schemas.common import Command, Money, ShortText, Text, example

Quarter = Literal["Q1", "Q2", "Q3", "Q4"]


class StaffingLine(Command):
    position: ShortText
    quarter: Quarter
    headcount: StrictInt = Field(ge=0, le=100_000)
    monthly_cost_per_head: Money = Field(ge=0)


class DraftStaffingPlan(Command):
    model_config = example(
        {
            "department": "sales",
            "fiscal_year": 2026,
            "lines": [
                {
                    "position": "Account manager",
                    "quarter": "Q1",
                    "headcount": 4,
                    "monthly_cost_per_head": "12000.00",
                },
                {
                    "position": "Account manager",
                    "quarter": "Q2",
                    "headcount": 5,
                    "monthly_cost_per_head": "12000.00",
                },
            ],
        }
    )
    department: ShortText
    fiscal_year: StrictInt = Field(ge=1900, le=9998)
    lines: list[StaffingLine] = Field(max_length=400)


class AmendStaffingPlan(Command):
    model_config = example(
        {
            "lines": [
                {
                    "position": "Account manager",
                    "quarter": "Q1",
                    "headcount": 5,
                    "monthly_cost_per_head": "12500.00",
                }
            ]
        }
    )
    lines: list[StaffingLine] = Field(max_length=400)


class Return(Command):
    model_config = example({"comments": "Q2 grows by two heads without a budget line for them"})
    comments: Text
