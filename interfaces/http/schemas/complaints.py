"""Bodies of the complaint commands (API.md, complaints)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, StrictBool

from interfaces.http.schemas.common import (
    Command,
    PositiveCount,
    Score1to5,
    ShortText,
    Text,
    example,
)

Channel = Literal["hotline", "online", "email", "visit", "other"]
Category = Literal["product_quality", "delivery", "service", "billing", "other"]
Severity = Literal["low", "medium", "high", "critical"]
RootCause = Literal["product", "process", "people", "supplier", "customer", "other"]


class ReceiveComplaint(Command):
    model_config = example(
        {
            "customer_id": "3f2b8c1e-6a4d-4e8b-9c1a-2d5e7f9a0b1c",
            "contract_id": "c41e9b07-2f6d-4a85-b3e1-7a9d0c5f6e12",
            "channel": "hotline",
            "category": "delivery",
            "severity": "high",
            "description": "Four pumps arrived with cracked housings",
        }
    )
    customer_id: UUID
    contract_id: UUID | None = None
    channel: Channel
    category: Category
    severity: Severity
    description: Text
    occurred_at: AwareDatetime | None = None


class Assign(Command):
    model_config = example({"assignee_id": "e-service-03"})
    assignee_id: ShortText
    # Beyond API.md, optional: a step logged late may be dated when it happened, so a
    # response that came before the assignment was logged can still be recorded.
    occurred_at: AwareDatetime | None = None


class Respond(Command):
    model_config = example({"message": "An engineer visits on Monday"})
    message: Text
    occurred_at: AwareDatetime | None = None


class Progress(Command):
    model_config = example({"note": "Replacement housings shipped", "customer_informed": True})
    note: Text
    customer_informed: StrictBool
    occurred_at: AwareDatetime | None = None


class Escalate(Command):
    model_config = example({"level": 2, "reason": "No fix within the response window"})
    level: PositiveCount
    reason: Text
    occurred_at: AwareDatetime | None = None


class Resolve(Command):
    model_config = example(
        {
            "resolution": "Housings replaced on site",
            "root_cause": "supplier",
            "corrective_action": "Incoming inspection of the supplier's housings",
        }
    )
    resolution: Text
    root_cause: RootCause
    corrective_action: Text
    occurred_at: AwareDatetime | None = None


class Close(Command):
    model_config = example({"satisfaction": 4})
    satisfaction: Score1to5 | None = None
    occurred_at: AwareDatetime | None = None


class Reopen(Command):
    model_config = example({"reason": "One housing cracked again"})
    reason: Text
    occurred_at: AwareDatetime | None = None
