"""The rules of DOMAIN.md, Notifications, as pure functions from rows and a moment to notices.

Each function answers the notices whose condition holds at `at` for the rows it is given;
the read model (projections/notifications.py) raises those not yet open and clears the
open ones of the same subjects that no longer hold. A notice is keyed by (rule, subject
type, subject id, level):

- `credit_alert`: a customer (`customer`), level the alert code of the credit report
  (`projections.credit.alerts`, on the report's figures at the UTC day of `at`); to the
  customer's owner and finance.
- `dunning_due`: an invoice (`invoice`; debit notes too where the credit facts hold them
  as invoices) with an open amount, level the highest dunning level its days overdue
  reach (`MOPS_DUNNING_LEVELS`, days past the due date at the UTC day of `at`); it
  holds until a reminder of that level or higher is sent on its contract on or after the
  day the invoice reached the level. To the contract's owner and finance.
- `sla_at_risk` / `sla_breached`: a complaint (`complaint`), level `response` or
  `resolution`: not yet responded (resolved) and 80 % of the window from receipt to the
  deadline used, the deadline not passed / the deadline passed. To the assignee and
  service.
- `follow_up_due`: a customer (`customer`) whose next follow-up date is the UTC day of
  `at`, level that date (a new date due another day is another notice); to its owner.
- `budget_line_90` and `risk_warning` are evaluated by the clock tick alone, from the
  budget execution and risk reports (projections/notice_clock.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from projections.credit import alerts
from projections.money import money_text

Row = dict[str, Any]
DEFAULT_DUNNING_DAYS = (1, 30, 60)
AT_RISK_SHARE = 0.8


@dataclass(frozen=True)
class Notice:
    """A rule's condition holding for a subject at a level, with its facts and recipients."""

    rule: str
    subject_type: str
    subject_id: str
    level: str
    facts: dict[str, Any] = field(default_factory=dict, compare=False)
    # ("employee", id) or ("role", name).
    recipients: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule, self.subject_type, self.subject_id, self.level)


def to(owner: str | None, *roles: str) -> tuple[tuple[str, str], ...]:
    """Recipients: an employee (when known) and roles."""
    people = () if not owner else (("employee", owner),)
    return (*people, *(("role", role) for role in roles))


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def credit_notices(figures: Iterable[Row], owners: dict[str, str], at: datetime) -> list[Notice]:
    """A `credit_alert` for each alert of each customer's credit figures at `at`'s day."""
    day = utc_day(at)
    found = []
    for row in figures:
        customer = row["customer_id"]
        for code, detail in alerts(row, day):
            found.append(
                Notice(
                    "credit_alert",
                    "customer",
                    customer,
                    code,
                    {"alert": code, "detail": detail, "as_of": day.isoformat()},
                    to(owners.get(customer), "finance"),
                )
            )
    return found


def dunning_level(days_overdue: int, levels: Sequence[int]) -> int:
    """The highest dunning level (1-based) whose days overdue are reached; 0 for none."""
    reached = [n for n, days in enumerate(levels, start=1) if days_overdue >= days]
    return reached[-1] if reached else 0


def dunning_notices(
    invoices: Iterable[Row], reminders: dict[str, list[Row]], levels: Sequence[int], at: datetime
) -> list[Notice]:
    """A `dunning_due` for each open invoice at its dunning level, until reminded at it.

    `invoices` carry `invoice_id`, `contract_id`, `customer_id`, `owner_id`, `due_on`
    and `open` (cents); `reminders` by contract: `level` and `sent_on`.
    """
    day = utc_day(at)
    found = []
    for invoice in invoices:
        if int(invoice["open"]) <= 0:
            continue
        due_on = date.fromisoformat(invoice["due_on"])
        days = (day - due_on).days
        level = dunning_level(days, levels)
        if level == 0:
            continue
        reached_on = (due_on + timedelta(days=levels[level - 1])).isoformat()
        if any(
            int(r["level"]) >= level and r["sent_on"] >= reached_on
            for r in reminders.get(invoice["contract_id"], [])
        ):
            continue
        found.append(
            Notice(
                "dunning_due",
                "invoice",
                invoice["invoice_id"],
                str(level),
                {
                    "invoice_id": invoice["invoice_id"],
                    "contract_id": invoice["contract_id"],
                    "customer_id": invoice["customer_id"],
                    "due_on": invoice["due_on"],
                    "days_overdue": days,
                    "open_amount": money_text(int(invoice["open"])),
                    "level": level,
                },
                to(invoice.get("owner_id"), "finance"),
            )
        )
    return found


def _window(received: str, deadline: str, done: str | None, at: datetime) -> str | None:
    """ "at_risk", "breached" or None for one SLA window not yet met at `at`."""
    if done is not None:
        return None
    start, end = datetime.fromisoformat(received), datetime.fromisoformat(deadline)
    if at > end:
        return "breached"
    if at >= start + (end - start) * AT_RISK_SHARE:
        return "at_risk"
    return None


def sla_notices(complaints: Iterable[Row], at: datetime) -> list[Notice]:
    """`sla_at_risk` / `sla_breached` for each window of each complaint at `at`."""
    found = []
    for row in complaints:
        for window, deadline, done in (
            ("response", row["respond_by"], row["responded_at"]),
            ("resolution", row["resolve_by"], row["resolved_at"]),
        ):
            state = _window(row["received_at"], deadline, done, at)
            if state is None:
                continue
            found.append(
                Notice(
                    f"sla_{state}",
                    "complaint",
                    row["id"],
                    window,
                    {"window": window, "deadline": deadline, "received_at": row["received_at"]},
                    to(row["assignee_id"], "service"),
                )
            )
    return found


def follow_up_notices(customers: Iterable[Row], at: datetime) -> list[Notice]:
    """A `follow_up_due` for each customer whose next follow-up is `at`'s day."""
    day = utc_day(at).isoformat()
    return [
        Notice(
            "follow_up_due",
            "customer",
            row["customer_id"],
            row["next_on"],
            {"next_follow_up_on": row["next_on"]},
            to(row["owner_id"]),
        )
        for row in customers
        if row["next_on"] == day
    ]
