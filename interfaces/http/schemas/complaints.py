"""Bodies of the complaint commands (API.md, complaints)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, StrictBool

from interfaces.http.schemas.common import Command, PositiveCount, Score1to5, ShortText, Text

Channel = Literal["hotline", "online", "email", "visit", "other"]
Category = Literal["product_quality", "delivery", "service", "billing", "other"]
Severity = Literal["low", "medium", "high", "critical"]
RootCause = Literal["product", "process", "people", "supplier", "customer", "other"]


class ReceiveComplaint(Command):
    customer_id: UUID
    contract_id: UUID | None = None
    channel: Channel
    category: Category
    severity: Severity
    description: Text
    occurred_at: AwareDatetime | None = None


class Assign(Command):
    assignee_id: ShortText
    # Beyond API.md, optional: a step logged late may be dated when it happened, so a
    # response that came before the assignment was logged can still be recorded.
    occurred_at: AwareDatetime | None = None


class Respond(Command):
    message: Text
    occurred_at: AwareDatetime | None = None


class Progress(Command):
    note: Text
    customer_informed: StrictBool
    occurred_at: AwareDatetime | None = None


class Escalate(Command):
    level: PositiveCount
    reason: Text
    occurred_at: AwareDatetime | None = None


class Resolve(Command):
    resolution: Text
    root_cause: RootCause
    corrective_action: Text
    occurred_at: AwareDatetime | None = None


class Close(Command):
    satisfaction: Score1to5 | None = None
    occurred_at: AwareDatetime | None = None


class Reopen(Command):
    reason: Text
    occurred_at: AwareDatetime | None = None
