"""The credit read model behind `GET /reports/credit` (DOMAIN.md, Read models, 2).

The fold only appends dated facts, each a row of its own; every figure of the report
is computed by one SQL query per page of customers, for the `as_of` day asked:

- `credit_customers`: name (kept current by profile updates) and `seq`, the log
  position of the registration, which orders customers stably for pagination;
- `credit_assessments`: rating, score, limit, `valid_until`, counted from the day
  they were recorded (`timestamp`, UTC);
- `credit_holds`: every placement and release with its recorded day;
- `credit_guarantees` and `credit_guarantee_releases`, with their recorded days;
- `credit_contracts`: signed contracts with `signed_on` and total;
- `credit_invoices`: amount, `issued_on`, `due_on`, with the contract's customer;
- `credit_settlements`: each invoice's share of a payment (on `received_on`) or of a
  write-off (on the day, UTC, of its `occurred_at`), with its contract's `signed_on`;
  also penalty credit applied to an invoice or debit note (on `CreditApplied.on`) and
  its reversal by a waiver (negative, on the waiver's day);
- `credit_debit_notes`: interest debit notes, issued and due on their `through` day;
- `credit_penalties` and `credit_penalty_waivers`: penalties credited, on the day of
  the late delivery, and the day each was waived.

Money is stored as integer cents (BIGINT), so sums are exact on both databases; ISO
dates are TEXT and compare as dates. Only facts whose business day is on or before
`as_of` count. Decisions where the spec leaves room:

- A customer has a row when an assessment was recorded or a contract signed by
  `as_of`. `name` is the current one.
- The assessment is the latest recorded on or before `as_of`; with none, `rating`,
  `score` and `credit_limit` are null and the limit counts as 0.
- The customer is on hold when its latest hold event recorded by `as_of` is a
  placement (placed and released the same day: not on hold at the end of it).
- A guarantee counts when recorded by `as_of`, not expired (`expires_on` >= `as_of`)
  and not released by `as_of`.
- `exposure` = sum over contracts signed by `as_of` of (total + interest debit notes
  issued by `as_of` - payments and write-offs settled on them by `as_of` - penalties
  credited by `as_of` and not waived by then).
- `outstanding` = sum over invoices and interest debit notes issued by `as_of` of
  (amount - settled by `as_of`): a settlement (a payment's, a write-off's, or a
  penalty's credit applied to the item; a waiver's reversal is a negative one) counts
  against its own item, so an item issued after `as_of` never makes the figure
  negative. It is API.md's invoiced + interest charged - paid - written off -
  penalties credited, where a penalty counts once its credit is applied to an item:
  a penalty assessed before anything was invoiced waits for the next invoice (the
  contract records `CreditApplied` then). Debit notes are aged like invoices (due
  on their `through` day) but are not "invoiced" for `dso`.
- `overdue` buckets each invoice's open amount at `as_of` by the days from its due
  date to `as_of`: 1-30, 31-60, 61-90, over 90.
- `utilisation` = exposure / (credit limit + counted guarantees), rounded to 4
  places; null when that sum is 0.
- `dso` = outstanding / (invoiced with `issued_on` in the 90 days ending on `as_of`,
  i.e. after `as_of` - 90 days) x 90, in days rounded to 2 places; null when nothing
  was invoiced then.
- Alerts, in this order: `over_limit` when utilisation > 1, or when there is
  exposure and no limit at all (limit + guarantees = 0); `near_limit` when 0.8 <=
  utilisation <= 1; the most severe one of `overdue_90`, `overdue_60`, `overdue_30`
  (an open amount more than 90, 60 or 30 days past due); `credit_hold`;
  `assessment_expired` when the latest assessment's `valid_until` < `as_of`;
  `guarantee_expiring` when a counted guarantee expires within 30 days of `as_of`
  (`expires_on` <= `as_of` + 30). Thresholds compare exact amounts, not the rounded
  ratio.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.contract import Contract
from domain.customer import ERASED, Customer
from domain.values import CustomerKind
from projections.money import CENT, cents, day_text, money_text, ratio_float
from projections.rows import RecentRows, insert_once, update
from projections.store import PostgresReadModel, ReadModel, Statement

Row = dict[str, Any]


class Change(NamedTuple):
    """A fact the fold asks for: a row to insert (kept if its key is there already), or
    ("update") the row's other columns to set where its first column, the key, matches."""

    table: str
    row: Row
    mode: Literal["insert", "update"] = "insert"


KEYS = {
    "credit_customers": "customer_id",
    "credit_assessments": "position",
    "credit_holds": "position",
    "credit_guarantees": "guarantee_id",
    "credit_guarantee_releases": "guarantee_id",
    "credit_contracts": "contract_id",
    "credit_invoices": "invoice_id",
    "credit_settlements": "settlement_id",
    "credit_reminders": "position",
    "credit_debit_notes": "debit_note_id",
    "credit_penalties": "penalty_id",
    "credit_penalty_waivers": "penalty_id",
}

BUCKETS = ("1_30", "31_60", "61_90", "over_90")
ALERTS = (
    "over_limit",
    "near_limit",
    "overdue_90",
    "overdue_60",
    "overdue_30",
    "credit_hold",
    "assessment_expired",
    "guarantee_expiring",
)


def fold(event: Any, position: int, contract: Row | None = None) -> list[Change]:
    """The facts one event adds; `contract` is the signed contract an event is about.

    Invoices and settlements name only their contract: the projection passes the
    contract's row (customer, signed_on) as it was recorded at signing.
    """
    match event:
        case Customer.Event():
            return customer_facts(event, position)
        case Contract.Signed():
            return [signed(event)]
        case Contract.Event() if contract is not None:
            return contract_facts(event, position, contract)
    return []


def customer_facts(event: Any, position: int) -> list[Change]:
    """The facts of a Customer event: its name, assessments, holds and guarantees."""
    customer_id = str(event.originator_id)
    match event:
        case Customer.Registered():
            row = {"customer_id": customer_id, "seq": position, "name": event.name}
            return [Change("credit_customers", row)]
        case Customer.ProfileUpdated() if "name" in event.changes:
            row = {"customer_id": customer_id, "name": event.changes["name"]}
            return [Change("credit_customers", row, "update")]
        case Customer.Erased() if event.kind == CustomerKind.PERSON:
            row = {"customer_id": customer_id, "name": ERASED}
            return [Change("credit_customers", row, "update")]
        case Customer.CreditAssessed():
            return [assessed(event, position)]
        case Customer.CreditHoldPlaced() | Customer.CreditHoldReleased():
            return [hold(event, position)]
        case Customer.GuaranteeRegistered():
            return [guarantee_registered(event)]
        case Customer.GuaranteeReleased():
            return [guarantee_released(event)]
    return []


def assessed(event: Customer.CreditAssessed, position: int) -> Change:
    """An assessment, counted from the day it was recorded."""
    row = {
        "position": position,
        "customer_id": str(event.originator_id),
        "recorded_on": day_text(event.timestamp),
        "rating": event.rating,
        "score": event.score,
        "credit_limit": cents(event.credit_limit),
        "valid_until": event.valid_until.isoformat(),
    }
    return Change("credit_assessments", row)


def hold(event: Customer.CreditHoldPlaced | Customer.CreditHoldReleased, position: int) -> Change:
    """A hold placed or released, on the day it was recorded."""
    row = {
        "position": position,
        "customer_id": str(event.originator_id),
        "day": day_text(event.timestamp),
        "placed": int(isinstance(event, Customer.CreditHoldPlaced)),
    }
    return Change("credit_holds", row)


def guarantee_registered(event: Customer.GuaranteeRegistered) -> Change:
    """A guarantee, counted from the day it was recorded until it expires."""
    row = {
        "guarantee_id": str(event.guarantee_id),
        "customer_id": str(event.originator_id),
        "recorded_on": day_text(event.timestamp),
        "amount": cents(event.amount),
        "expires_on": event.expires_on.isoformat(),
    }
    return Change("credit_guarantees", row)


def guarantee_released(event: Customer.GuaranteeReleased) -> Change:
    """The release of a guarantee, on the day it was recorded."""
    row = {
        "guarantee_id": str(event.guarantee_id),
        "customer_id": str(event.originator_id),
        "released_on": day_text(event.timestamp),
    }
    return Change("credit_guarantee_releases", row)


def signed(event: Contract.Signed) -> Change:
    """A signed contract: its customer, day and total, which invoices and payments need."""
    row = {
        "contract_id": str(event.originator_id),
        "customer_id": str(event.customer_id),
        "signed_on": event.signed_on.isoformat(),
        "total": cents(event.total),
    }
    return Change("credit_contracts", row)


def contract_facts(event: Any, position: int, contract: Row) -> list[Change]:
    """The facts of an invoice, payment or write-off of a signed contract."""
    match event:
        case Contract.InvoiceIssued():
            return [invoice_issued(event, contract)]
        case Contract.PaymentRecorded():
            return settlements(event, position, contract, "payment", event.received_on.isoformat())
        case Contract.WrittenOff():
            return settlements(event, position, contract, "write_off", day_text(event.occurred_at))
        case Contract.ReminderSent():
            return [reminder_sent(event, position, contract)]
        case (
            Contract.PenaltyAssessed()
            | Contract.CreditApplied()
            | Contract.PenaltyWaived()
            | Contract.InterestCharged()
        ):
            return penalty_and_interest_facts(event, position, contract)
    return []


def penalty_and_interest_facts(event: Any, position: int, contract: Row) -> list[Change]:
    """Penalties (credit notes), their application and waivers; interest debit notes."""
    ids = {"contract_id": str(event.originator_id), "customer_id": contract["customer_id"]}
    match event:
        case Contract.PenaltyAssessed():
            row = {
                "penalty_id": str(event.penalty_id),
                **ids,
                "signed_on": contract["signed_on"],
                "credited_on": day_text(event.occurred_at),
                "amount": cents(event.amount),
            }
            return [Change("credit_penalties", row)]
        case Contract.CreditApplied():
            return settlements(event, position, contract, "penalty", event.on.isoformat())
        case Contract.PenaltyWaived():
            waived = {"penalty_id": str(event.penalty_id), "waived_on": day_text(event.occurred_at)}
            reversals = [{**r, "amount": -r["amount"]} for r in event.reversals]
            day = day_text(event.occurred_at)
            return [
                Change("credit_penalty_waivers", waived),
                *_settled(reversals, position, ids, contract, "penalty_waived", day),
            ]
        case Contract.InterestCharged():
            row = {
                "debit_note_id": str(event.debit_note_id),
                **ids,
                "issued_on": event.through.isoformat(),
                "due_on": event.through.isoformat(),
                "amount": cents(event.amount),
            }
            return [Change("credit_debit_notes", row)]
    return []


def invoice_issued(event: Contract.InvoiceIssued, contract: Row) -> Change:
    """An invoice with its amount, issue and due days, and its contract's customer."""
    row = {
        "invoice_id": str(event.invoice_id),
        "contract_id": str(event.originator_id),
        "customer_id": contract["customer_id"],
        "issued_on": event.issued_on.isoformat(),
        "due_on": event.due_on.isoformat(),
        "amount": cents(event.amount),
    }
    return Change("credit_invoices", row)


def settlements(
    event: Contract.PaymentRecorded | Contract.WrittenOff | Contract.CreditApplied,
    position: int,
    contract: Row,
    kind: str,
    day: str,
) -> list[Change]:
    """Each invoice's (or debit note's) share of a payment, a write-off or penalty credit,
    settled on the day given."""
    ids = {"contract_id": str(event.originator_id), "customer_id": contract["customer_id"]}
    return _settled(list(event.allocations), position, ids, contract, kind, day)


def _settled(
    allocations: Sequence[Any], position: int, ids: Row, contract: Row, kind: str, day: str
) -> list[Change]:
    return [
        Change(
            "credit_settlements",
            {
                "settlement_id": f"{position:012d}:{n:04d}",
                "position": position,
                "invoice_id": str(allocation["invoice_id"]),
                **ids,
                "signed_on": contract["signed_on"],
                "settled_on": day,
                "kind": kind,
                "amount": cents(allocation["amount"]),
            },
        )
        for n, allocation in enumerate(allocations)
    ]


def reminder_sent(event: Contract.ReminderSent, position: int, contract: Row) -> Change:
    """A reminder (催收) of a level, sent on its contract on the day of its `occurred_at`."""
    row = {
        "position": position,
        "contract_id": str(event.originator_id),
        "customer_id": contract["customer_id"],
        "level": event.level,
        "sent_on": day_text(event.occurred_at),
    }
    return Change("credit_reminders", row)


def dunning_item(item: Row, as_of: date, levels: Sequence[int], last: Row | None) -> Row:
    """An overdue invoice (or debit note) of the report: its dunning level at `as_of` (the
    highest of MOPS_DUNNING_LEVELS its days overdue reach, 0 below the first) and the last
    reminder sent on its contract by then."""
    days = (as_of - date.fromisoformat(item["due_on"])).days
    return {
        "invoice_id": item["invoice_id"],
        "contract_id": item["contract_id"],
        "due_on": item["due_on"],
        "days_overdue": days,
        "open": money_text(int(item["open"])),
        "level": sum(1 for reached in levels if days >= reached),
        "last_reminder": None
        if last is None
        else {"level": int(last["level"]), "sent_on": last["sent_on"]},
    }


def credit_item(row: Row, as_of: date) -> Row:
    """A report row (API.md, Report rows, credit) from the figures the query summed."""
    limit = row["credit_limit"]
    room = int(limit or 0) + int(row["guarantees"])
    exposure = int(row["exposure"])
    outstanding = int(row["outstanding"])
    invoiced_90 = int(row["invoiced_90"])
    dso = ratio_float(outstanding * 90, invoiced_90, CENT)
    return {
        "customer_id": row["customer_id"],
        "name": row["name"],
        "rating": row["rating"],
        "score": None if row["score"] is None else int(row["score"]),
        "credit_limit": None if limit is None else money_text(int(limit)),
        "guarantees": money_text(int(row["guarantees"])),
        "exposure": money_text(exposure),
        "outstanding": money_text(outstanding),
        "overdue": {bucket: money_text(int(row[f"d{bucket}"])) for bucket in BUCKETS},
        "utilisation": ratio_float(exposure, room),
        "dso": dso,
        "on_hold": bool(row["on_hold"]),
        "alerts": [alert for alert, _ in alerts(row, as_of)],
    }


def alerts(row: Row, as_of: date) -> list[tuple[str, str]]:
    """The alerts of a customer's figures at `as_of`, each with a sentence on its numbers."""
    found: list[tuple[str, str]] = []
    limit = int(row["credit_limit"] or 0)
    guarantees = int(row["guarantees"])
    room = limit + guarantees
    exposure = int(row["exposure"])
    of_limit = (
        f"exposure {money_text(exposure)} against a limit of {money_text(room)} "
        f"(credit limit {money_text(limit)} + guarantees {money_text(guarantees)})"
    )
    if exposure > room:
        share = f"{Decimal(exposure) * 100 / room:.1f}%" if room else "no limit"
        found.append(("over_limit", f"{of_limit}: {share}"))
    elif room > 0 and exposure * 5 >= room * 4:
        found.append(("near_limit", f"{of_limit}: {Decimal(exposure) * 100 / room:.1f}%"))
    for bucket, alert, days in (
        ("over_90", "overdue_90", 90),
        ("61_90", "overdue_60", 60),
        ("31_60", "overdue_30", 30),
    ):
        more = sum(int(row[f"d{b}"]) for b in BUCKETS[BUCKETS.index(bucket) :])
        if more > 0:
            found.append((alert, f"{money_text(more)} overdue more than {days} days"))
            break
    if row["on_hold"]:
        found.append(("credit_hold", f"on credit hold since {row['hold_since']}"))
    if row["valid_until"] is not None and row["valid_until"] < as_of.isoformat():
        found.append(
            (
                "assessment_expired",
                f"the latest assessment (rating {row['rating']}) was valid until "
                f"{row['valid_until']}",
            )
        )
    if row["soonest_expiry"] is not None and row["expiring"]:
        days = (date.fromisoformat(row["soonest_expiry"]) - as_of).days
        found.append(
            (
                "guarantee_expiring",
                f"guarantees of {money_text(int(row['expiring']))} expire within 30 days, "
                f"the first on {row['soonest_expiry']} (in {days} days)",
            )
        )
    return found


_NAMED = re.compile(r":([a-z_0-9]+)")


def _bind(statement: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """A statement with `:name` placeholders as one with `?` and its parameters in order."""
    params: list[Any] = []

    def mark(match: re.Match[str]) -> str:
        params.append(values[match.group(1)])
        return "?"

    return _NAMED.sub(mark, statement), params


REPORT = """
WITH page AS (
  SELECT c.customer_id, c.seq, c.name FROM {customers} c
  WHERE c.seq > :after AND (
    EXISTS (SELECT 1 FROM {assessments} a
            WHERE a.customer_id = c.customer_id AND a.recorded_on <= :as_of)
    OR EXISTS (SELECT 1 FROM {contracts} k
               WHERE k.customer_id = c.customer_id AND k.signed_on <= :as_of))
  ORDER BY c.seq LIMIT :limit
),
guaranteed AS (
  SELECT g.customer_id, SUM(g.amount) AS amount, MIN(g.expires_on) AS soonest_expiry,
         SUM(CASE WHEN g.expires_on <= :soon THEN g.amount ELSE 0 END) AS expiring
  FROM {guarantees} g
  WHERE g.customer_id IN (SELECT customer_id FROM page)
    AND g.recorded_on <= :as_of AND g.expires_on >= :as_of
    AND NOT EXISTS (SELECT 1 FROM {releases} r
                    WHERE r.guarantee_id = g.guarantee_id AND r.released_on <= :as_of)
  GROUP BY g.customer_id
),
signed AS (
  SELECT customer_id, SUM(total) AS total FROM {contracts}
  WHERE customer_id IN (SELECT customer_id FROM page) AND signed_on <= :as_of
  GROUP BY customer_id
),
settled AS (
  SELECT customer_id, SUM(amount) AS amount FROM {settlements}
  WHERE customer_id IN (SELECT customer_id FROM page)
    AND settled_on <= :as_of AND signed_on <= :as_of AND kind IN ('payment', 'write_off')
  GROUP BY customer_id
),
charged AS (
  SELECT customer_id, SUM(amount) AS amount FROM {debit_notes}
  WHERE customer_id IN (SELECT customer_id FROM page) AND issued_on <= :as_of
  GROUP BY customer_id
),
credited AS (
  SELECT p.customer_id, SUM(p.amount) AS amount FROM {penalties} p
  WHERE p.customer_id IN (SELECT customer_id FROM page)
    AND p.credited_on <= :as_of AND p.signed_on <= :as_of
    AND NOT EXISTS (SELECT 1 FROM {waivers} w
                    WHERE w.penalty_id = p.penalty_id AND w.waived_on <= :as_of)
  GROUP BY p.customer_id
),
items AS (
  SELECT invoice_id, customer_id, issued_on, due_on, amount, 1 AS invoiced FROM {invoices}
  UNION ALL
  SELECT debit_note_id, customer_id, issued_on, due_on, amount, 0 FROM {debit_notes}
),
invoice_open AS (
  SELECT i.customer_id, i.issued_on, i.due_on, i.amount, i.invoiced,
         i.amount - COALESCE(s.amount, 0) AS open_amount
  FROM items i LEFT JOIN (
    SELECT invoice_id, SUM(amount) AS amount FROM {settlements}
    WHERE customer_id IN (SELECT customer_id FROM page) AND settled_on <= :as_of
    GROUP BY invoice_id
  ) s ON s.invoice_id = i.invoice_id
  WHERE i.customer_id IN (SELECT customer_id FROM page) AND i.issued_on <= :as_of
),
receivable AS (
  SELECT customer_id,
    SUM(open_amount) AS outstanding,
    SUM(CASE WHEN issued_on > :back_90 AND invoiced = 1 THEN amount ELSE 0 END)
      AS invoiced_90,
    SUM(CASE WHEN due_on < :as_of AND due_on >= :back_30 THEN open_amount ELSE 0 END)
      AS d1_30,
    SUM(CASE WHEN due_on < :back_30 AND due_on >= :back_60 THEN open_amount ELSE 0 END)
      AS d31_60,
    SUM(CASE WHEN due_on < :back_60 AND due_on >= :back_90 THEN open_amount ELSE 0 END)
      AS d61_90,
    SUM(CASE WHEN due_on < :back_90 THEN open_amount ELSE 0 END) AS dover_90
  FROM invoice_open GROUP BY customer_id
)
SELECT page.customer_id, page.seq, page.name,
  a.rating, a.score, a.credit_limit, a.valid_until,
  COALESCE(h.placed, 0) AS on_hold, h.day AS hold_since,
  COALESCE(guaranteed.amount, 0) AS guarantees, guaranteed.soonest_expiry,
  COALESCE(guaranteed.expiring, 0) AS expiring,
  COALESCE(signed.total, 0) + COALESCE(charged.amount, 0) - COALESCE(settled.amount, 0)
    - COALESCE(credited.amount, 0) AS exposure,
  COALESCE(receivable.outstanding, 0) AS outstanding,
  COALESCE(receivable.invoiced_90, 0) AS invoiced_90,
  COALESCE(receivable.d1_30, 0) AS d1_30, COALESCE(receivable.d31_60, 0) AS d31_60,
  COALESCE(receivable.d61_90, 0) AS d61_90, COALESCE(receivable.dover_90, 0) AS dover_90
FROM page
LEFT JOIN {assessments} a ON a.position = (
  SELECT MAX(x.position) FROM {assessments} x
  WHERE x.customer_id = page.customer_id AND x.recorded_on <= :as_of)
LEFT JOIN {holds} h ON h.position = (
  SELECT MAX(y.position) FROM {holds} y
  WHERE y.customer_id = page.customer_id AND y.day <= :as_of)
LEFT JOIN guaranteed ON guaranteed.customer_id = page.customer_id
LEFT JOIN signed ON signed.customer_id = page.customer_id
LEFT JOIN settled ON settled.customer_id = page.customer_id
LEFT JOIN charged ON charged.customer_id = page.customer_id
LEFT JOIN credited ON credited.customer_id = page.customer_id
LEFT JOIN receivable ON receivable.customer_id = page.customer_id
ORDER BY page.seq
"""

# Every customer's receivables at once, with the credit report's definitions: the
# customers it has a row for, each invoice issued by `as_of` less what was settled on
# it by then, overdue when its due date lies before `as_of` (the sum of the buckets).
RECEIVABLES = """
SELECT SUM(i.amount - COALESCE(s.amount, 0)) AS outstanding,
  SUM(CASE WHEN i.due_on < :as_of THEN i.amount - COALESCE(s.amount, 0) ELSE 0 END) AS overdue
FROM (
  SELECT invoice_id, customer_id, issued_on, due_on, amount FROM {invoices}
  UNION ALL
  SELECT debit_note_id, customer_id, issued_on, due_on, amount FROM {debit_notes}
) i LEFT JOIN (
  SELECT invoice_id, SUM(amount) AS amount FROM {settlements}
  WHERE settled_on <= :as_of GROUP BY invoice_id
) s ON s.invoice_id = i.invoice_id
WHERE i.issued_on <= :as_of AND (
  EXISTS (SELECT 1 FROM {assessments} a
          WHERE a.customer_id = i.customer_id AND a.recorded_on <= :as_of)
  OR EXISTS (SELECT 1 FROM {contracts} k
             WHERE k.customer_id = i.customer_id AND k.signed_on <= :as_of))
"""


class CreditReport(ReadModel):
    """Dated credit facts per customer, summed for any `as_of` day."""

    name = "credit"
    table_names = tuple(KEYS)
    # Days overdue of dunning levels 1-3; the read side sets those of MOPS_DUNNING_LEVELS.
    dunning_days: tuple[int, ...] = (1, 30, 60)
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}credit_customers ("
        "customer_id TEXT PRIMARY KEY, seq BIGINT NOT NULL, name TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_customers_seq ON {p}credit_customers (seq)",
        "CREATE TABLE IF NOT EXISTS {p}credit_assessments ("
        "position BIGINT PRIMARY KEY, customer_id TEXT NOT NULL, recorded_on TEXT NOT NULL, "
        "rating TEXT NOT NULL, score INTEGER NOT NULL, credit_limit BIGINT NOT NULL, "
        "valid_until TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_assessments_customer "
        "ON {p}credit_assessments (customer_id, recorded_on)",
        "CREATE TABLE IF NOT EXISTS {p}credit_holds ("
        "position BIGINT PRIMARY KEY, customer_id TEXT NOT NULL, day TEXT NOT NULL, "
        "placed INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_holds_customer ON {p}credit_holds (customer_id, day)",
        "CREATE TABLE IF NOT EXISTS {p}credit_guarantees ("
        "guarantee_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, recorded_on TEXT NOT NULL, "
        "amount BIGINT NOT NULL, expires_on TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_guarantees_customer "
        "ON {p}credit_guarantees (customer_id)",
        "CREATE TABLE IF NOT EXISTS {p}credit_guarantee_releases ("
        "guarantee_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, released_on TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}credit_contracts ("
        "contract_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, signed_on TEXT NOT NULL, "
        "total BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_contracts_customer "
        "ON {p}credit_contracts (customer_id, signed_on)",
        "CREATE TABLE IF NOT EXISTS {p}credit_invoices ("
        "invoice_id TEXT PRIMARY KEY, contract_id TEXT NOT NULL, customer_id TEXT NOT NULL, "
        "issued_on TEXT NOT NULL, due_on TEXT NOT NULL, amount BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_invoices_customer "
        "ON {p}credit_invoices (customer_id, issued_on)",
        "CREATE TABLE IF NOT EXISTS {p}credit_settlements ("
        "settlement_id TEXT PRIMARY KEY, position BIGINT NOT NULL, invoice_id TEXT NOT NULL, "
        "contract_id TEXT NOT NULL, customer_id TEXT NOT NULL, signed_on TEXT NOT NULL, "
        "settled_on TEXT NOT NULL, kind TEXT NOT NULL, amount BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_settlements_customer "
        "ON {p}credit_settlements (customer_id, settled_on)",
        # Reminders (催收) by contract, for each overdue item's last reminder.
        "CREATE TABLE IF NOT EXISTS {p}credit_reminders ("
        "position BIGINT PRIMARY KEY, contract_id TEXT NOT NULL, customer_id TEXT NOT NULL, "
        "level INTEGER NOT NULL, sent_on TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_reminders_customer "
        "ON {p}credit_reminders (customer_id, sent_on)",
        # Interest debit notes (owed by the customer) and penalties (credited to it).
        "CREATE TABLE IF NOT EXISTS {p}credit_debit_notes ("
        "debit_note_id TEXT PRIMARY KEY, contract_id TEXT NOT NULL, customer_id TEXT NOT NULL, "
        "issued_on TEXT NOT NULL, due_on TEXT NOT NULL, amount BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_debit_notes_customer "
        "ON {p}credit_debit_notes (customer_id, issued_on)",
        "CREATE TABLE IF NOT EXISTS {p}credit_penalties ("
        "penalty_id TEXT PRIMARY KEY, contract_id TEXT NOT NULL, customer_id TEXT NOT NULL, "
        "signed_on TEXT NOT NULL, credited_on TEXT NOT NULL, amount BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}credit_penalties_customer "
        "ON {p}credit_penalties (customer_id, credited_on)",
        "CREATE TABLE IF NOT EXISTS {p}credit_penalty_waivers ("
        "penalty_id TEXT PRIMARY KEY, waived_on TEXT NOT NULL)",
    )

    def contract(self, contract_id: str) -> Row | None:
        rows = self.query(
            f"SELECT * FROM {self.table('credit_contracts')} WHERE contract_id = ?", [contract_id]
        )
        return rows[0] if rows else None

    def statements(self, changes: Sequence[Change]) -> list[Statement]:
        """The SQL of the fold's changes."""
        result: list[Statement] = []
        for table, row, mode in changes:
            key = KEYS[table]
            if mode == "update":
                others = {c: v for c, v in row.items() if c != key}
                result.append(update(self.table(table), key, row[key], others))
            else:
                statement = insert_once(self.table(table), list(row), key)
                result.append((statement, list(row.values())))
        return result

    def apply(self, changes: Sequence[Change], tracking: Tracking) -> None:
        """Write the fold's changes and the position, in one transaction."""
        self.write(self.statements(changes), tracking)

    def figures(self, as_of: date, *, after: int = 0, limit: int = 50) -> list[Row]:
        """The summed figures of up to `limit` customers after `seq` `after`, in seq order."""
        names = {
            "customers": "credit_customers",
            "assessments": "credit_assessments",
            "holds": "credit_holds",
            "guarantees": "credit_guarantees",
            "releases": "credit_guarantee_releases",
            "contracts": "credit_contracts",
            "invoices": "credit_invoices",
            "settlements": "credit_settlements",
            "debit_notes": "credit_debit_notes",
            "penalties": "credit_penalties",
            "waivers": "credit_penalty_waivers",
        }
        statement, params = _bind(
            REPORT.format(**{k: self.table(v) for k, v in names.items()}),
            {
                "after": after,
                "limit": limit,
                "as_of": as_of.isoformat(),
                "soon": (as_of + timedelta(days=30)).isoformat(),
                "back_30": (as_of - timedelta(days=30)).isoformat(),
                "back_60": (as_of - timedelta(days=60)).isoformat(),
                "back_90": (as_of - timedelta(days=90)).isoformat(),
            },
        )
        with self._cursor(commit=False) as cursor:
            if isinstance(self, PostgresReadModel):
                # The planner's row estimates of the per-customer joins multiply (to 10^8
                # at 10 000 customers), so PostgreSQL JIT-compiles the plan: 2.4 s for a
                # query that runs in 0.1 s (bench/credit_report.py, docs/PERFORMANCE.md).
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(self._sql(statement), params)
            return [dict(row) for row in cursor.fetchall()]

    def report(self, as_of: date, *, after: int = 0, limit: int = 50) -> list[Row]:
        """Report rows of up to `limit` customers after `seq` `after`, each with its `seq`."""
        return [
            {**credit_item(row, as_of), "seq": int(row["seq"])}
            for row in self.figures(as_of, after=after, limit=limit)
        ]

    def dunning(self, as_of: date) -> list[Row]:
        """`/reports/credit/dunning`: every item (invoice, debit note) overdue at `as_of`,
        by customer (in report order) and due date, with its dunning level and the last
        reminder sent on its contract by then (`dunning_item`)."""
        day = as_of.isoformat()
        items = (
            "SELECT invoice_id, contract_id, customer_id, issued_on, due_on, amount "
            f"FROM {self.table('credit_invoices')}"
        )
        if "credit_debit_notes" in KEYS:  # interest debit notes are dunned like invoices
            items += (
                " UNION ALL SELECT debit_note_id, contract_id, customer_id, issued_on, due_on, "
                f"amount FROM {self.table('credit_debit_notes')}"
            )
        overdue = self.query(
            "SELECT i.*, c.seq, i.amount - COALESCE((SELECT SUM(s.amount) FROM "
            f"{self.table('credit_settlements')} s WHERE s.invoice_id = i.invoice_id "
            f"AND s.settled_on <= ?), 0) AS open FROM ({items}) i "
            f"JOIN {self.table('credit_customers')} c ON c.customer_id = i.customer_id "
            "WHERE i.issued_on <= ? AND i.due_on < ? ORDER BY c.seq, i.due_on, i.invoice_id",
            [day, day, day],
        )
        last: dict[str, Row] = {}
        for reminder in self.query(
            f"SELECT * FROM {self.table('credit_reminders')} WHERE sent_on <= ? ORDER BY position",
            [day],
        ):
            last[reminder["contract_id"]] = reminder
        return [
            {
                "customer_id": item["customer_id"],
                **dunning_item(item, as_of, self.dunning_days, last.get(item["contract_id"])),
            }
            for item in overdue
            if int(item["open"]) > 0
        ]

    def alerts(
        self, as_of: date, *, after: int = 0, limit: int = 50, chunk: int = 5000
    ) -> list[Row]:
        """Up to `limit` alerts at `as_of` after the key `after`, in customer then alert order.

        Each alert's key is `seq * 16 + i`, `i` its place among the customer's alerts,
        so that a page may end between two alerts of one customer. Customers are summed
        `chunk` at a time: on PostgreSQL a query for many customers scans each fact
        table once, so every alert of 10 000 customers took 2.4 s in chunks of 500 and
        1.0 s in chunks of 5 000 (bench/credit_report.py).
        """
        found: list[Row] = []
        # Customers from the one the cursor stopped in (its seq is after // 16).
        seq_after = after // 16 - 1
        while len(found) < limit:
            rows = self.figures(as_of, after=seq_after, limit=chunk)
            for row in rows:
                seq = int(row["seq"])
                for index, (alert, detail) in enumerate(alerts(row, as_of)):
                    key = seq * 16 + index
                    if key > after:
                        found.append(
                            {
                                "customer_id": row["customer_id"],
                                "alert": alert,
                                "detail": detail,
                                "key": key,
                            }
                        )
            if len(rows) < chunk:
                break
            seq_after = int(rows[-1]["seq"])
        return found[:limit]

    def receivables(self, as_of: date) -> tuple[int, int]:
        """(outstanding, overdue) in cents over every customer of the report at `as_of`.

        The sums of the report's `outstanding` and `overdue` buckets over all its rows,
        in one query rather than a page of customers at a time.
        """
        statement, params = _bind(
            RECEIVABLES.format(
                invoices=self.table("credit_invoices"),
                debit_notes=self.table("credit_debit_notes"),
                settlements=self.table("credit_settlements"),
                assessments=self.table("credit_assessments"),
                contracts=self.table("credit_contracts"),
            ),
            {"as_of": as_of.isoformat()},
        )
        row = self.query(statement, params)[0]
        return int(row["outstanding"] or 0), int(row["overdue"] or 0)


class CreditProjection(Projection[CreditReport]):
    """Folds Customer credit events and Contract money events; tracks every other event."""

    name = "credit"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (Customer.Event, Contract.Event)

    def __init__(self, view: CreditReport) -> None:
        super().__init__(view)
        # Invoices and settlements name only their contract: its row as signed.
        self._contracts = RecentRows()

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        contract = None
        if isinstance(
            domain_event,
            Contract.InvoiceIssued
            | Contract.PaymentRecorded
            | Contract.WrittenOff
            | Contract.PenaltyAssessed
            | Contract.CreditApplied
            | Contract.PenaltyWaived
            | Contract.InterestCharged,
        ):
            contract = self._contracts.get(str(domain_event.originator_id), self.view.contract)
        if isinstance(domain_event, Contract.ReminderSent):  # dunning: the last reminder
            contract = self._contracts.get(str(domain_event.originator_id), self.view.contract)
        changes = fold(domain_event, tracking.notification_id, contract)
        if not changes:
            self.view.insert_tracking(tracking)
            return
        self.view.apply(changes, tracking)
        for table, row, _ in changes:
            if table == "credit_contracts":
                self._contracts.remember(row["contract_id"], row)
