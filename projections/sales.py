"""The sales read model behind `GET /reports/sales` (DOMAIN.md, Read models, 1).

Two tables. `sales_contracts` keeps what a contract is about as the fold saw it last
(customer, owner, channel, region, lines), from `Contract.Drafted` and
`Contract.Amended`; lines cannot change after signing, so every later fact of a
contract is attributed to the lines and parties it was signed with. `sales_facts`
holds fine-grained facts, one row per contract line touched by an event, keyed
`"<position>:<n>"`, each with its business day and the month and quarter of that
day. Money is stored as integer cents (BIGINT) so that sums are exact on both
databases; the report groups and sums them in SQL.

Where each figure is booked (DOMAIN.md and API.md, Report rows, sales):

- `contracts_signed`, `revenue`, `cost`, `units` on the contract's `signed_on`, one
  fact per line (revenue = quantity x unit price, cost = quantity x unit cost).
  `contracts_signed` counts distinct contracts: by sku, the contracts with a line of
  that sku (every signed line is marked, the first line of a contract also for the
  contract). `gross_profit` = revenue - cost.
- `units_delivered` on the day (UTC) of the delivery's `occurred_at`, per sku.
- `invoiced` on `issued_on`, `collected` on `received_on`, `written_off` on the day
  (UTC) of the write-off's `occurred_at`.

Decision (the spec says only "by sku, money is the sum of that sku's lines"):
invoices, payments and write-offs are amounts of the whole contract, so each is
split over the contract's lines pro rata to the lines' totals, in whole cents
rounded down, and the cents left over go to the line with the largest total (the
first such line on a tie). The per-sku amounts of an event therefore always add up
to the event's amount, and the split replays identically. A line whose share is
zero gets no fact row for that event.

Penalties (credited to the customer, on the late delivery's day; a waiver books the
penalty back, negative, on its own day) and interest charged (on the debit note's
`through` day) are `penalties` and `interest_charged`, apart from revenue, split over
the lines like an invoice, in `sales_adjustments`.

Terminated contracts keep their signed figures (the signing happened); cancelled
contracts were never signed and book nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.contract import Contract
from projections.money import cents, iso_date, money_text, month_of, quarter_of, utc_day
from projections.rows import RecentRows, filters, inserts, upsert
from projections.store import ReadModel

Row = dict[str, Any]

CONTRACT_COLUMNS = ("contract_id", "customer_id", "owner_id", "channel", "region", "lines")
MEASURES = (
    "revenue",
    "cost",
    "units",
    "units_delivered",
    "invoiced",
    "collected",
    "written_off",
)
FACT_COLUMNS = (
    "fact_id",
    "position",
    "day",
    "month",
    "quarter",
    "contract_id",
    "customer_id",
    "region",
    "channel",
    "sku",
    "owner_id",
    "signed_lines",
    "signed_contracts",
    *MEASURES,
)
# The report's group_by keys and the row keys (columns) they answer under.
GROUP_KEYS = {
    "month": "month",
    "quarter": "quarter",
    "customer": "customer_id",
    "region": "region",
    "channel": "channel",
    "sku": "sku",
    "owner": "owner_id",
}
MONEY = (
    "revenue",
    "cost",
    "gross_profit",
    "invoiced",
    "collected",
    "written_off",
    "penalties",
    "interest_charged",
)
# Penalties credited and interest charged, apart from revenue (API.md, Report rows,
# sales): a table of their own, so that a database folded before them needs no change.
ADJUSTMENTS = ("penalties", "interest_charged")
ADJUSTMENT_COLUMNS = (*FACT_COLUMNS[:11], *ADJUSTMENTS)


def split_pro_rata(amount: int, weights: Sequence[int]) -> list[int]:
    """An amount in cents spread over weights: shares rounded down, the rest to the largest.

    The largest weight is the first one on a tie; with no positive weight at all, the
    whole amount goes to the first line.
    """
    if not weights:
        return []
    total = sum(weights)
    largest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    if total <= 0:
        return [amount if i == largest else 0 for i in range(len(weights))]
    shares = [amount * weight // total for weight in weights]
    shares[largest] += amount - sum(shares)
    return shares


def _lines_json(lines: Sequence[Mapping[str, Any]]) -> str:
    """A contract's lines as stored: sku, quantity, and totals in cents."""
    return json.dumps(
        [
            {
                "sku": line["sku"],
                "quantity": int(line["quantity"]),
                "revenue": cents(line["quantity"] * Decimal(line["unit_price"])),
                "cost": cents(line["quantity"] * Decimal(line["unit_cost"])),
            }
            for line in lines
        ],
        sort_keys=True,
    )


def fold_contract(row: Row | None, event: Any) -> Row | None:
    """The attributes of a contract after one more of its events (None: not changed)."""
    match event:
        case Contract.Drafted():
            return drafted(event)
        case Contract.Amended() if row is not None:
            return amended(row, event.changes)
    return None


def drafted(event: Contract.Drafted) -> Row:
    """The attributes of a contract as drafted."""
    return {
        "contract_id": str(event.originator_id),
        "customer_id": str(event.customer_id),
        "owner_id": event.owner_id,
        "channel": event.channel,
        "region": event.region,
        "lines": _lines_json(event.lines),
    }


def amended(row: Row, changes: dict[str, Any]) -> Row:
    """The attributes with the owner, channel, region and lines an amendment changed."""
    row = {**row, **{f: changes[f] for f in ("owner_id", "channel", "region") if f in changes}}
    if "lines" in changes:
        row["lines"] = _lines_json(changes["lines"])
    return row


def _fact(contract: Row, position: int, n: int, day: date, sku: str, **measures: Any) -> Row:
    fact = {
        "fact_id": f"{position:012d}:{n:04d}",
        "position": position,
        "day": day.isoformat(),
        "month": month_of(day),
        "quarter": quarter_of(day),
        "contract_id": contract["contract_id"],
        "customer_id": contract["customer_id"],
        "region": contract["region"],
        "channel": contract["channel"],
        "sku": sku,
        "owner_id": contract["owner_id"],
        "signed_lines": 0,
        "signed_contracts": 0,
    }
    fact.update({measure: 0 for measure in MEASURES})
    fact.update(measures)
    return fact


def fold_facts(contract: Row | None, event: Any, position: int) -> list[Row]:
    """The fact rows one contract event adds, given the contract's attributes."""
    if contract is None:
        return []
    match event:
        case Contract.Signed():
            return signed_facts(contract, event, position)
        case Contract.DeliveryRecorded():
            return delivered_facts(contract, event, position)
        case Contract.InvoiceIssued():
            return split_facts(contract, position, "invoiced", event.issued_on, event.amount)
        case Contract.PaymentRecorded():
            return split_facts(contract, position, "collected", event.received_on, event.amount)
        case Contract.WrittenOff():
            day = utc_day(event.occurred_at)
            return split_facts(contract, position, "written_off", day, event.amount)
    return []


def fold_adjustments(contract: Row | None, event: Any, position: int) -> list[Row]:
    """Penalties credited (on the late delivery's day; a waiver takes one back on its own
    day) and interest charged (on `through`), split over the lines like an invoice."""
    if contract is None:
        return []
    match event:
        case Contract.PenaltyAssessed():
            amount, day, measure = event.amount, utc_day(event.occurred_at), "penalties"
        case Contract.PenaltyWaived():
            amount, day, measure = -event.amount, utc_day(event.occurred_at), "penalties"
        case Contract.InterestCharged():
            amount, day, measure = event.amount, event.through, "interest_charged"
        case _:
            return []
    rows = []
    for fact in split_facts(contract, position, "invoiced", day, amount):
        share = fact["invoiced"]
        rows.append({**{c: fact[c] for c in FACT_COLUMNS[:11]}, **dict.fromkeys(ADJUSTMENTS, 0)})
        rows[-1][measure] = share
    return rows


def signed_facts(contract: Row, event: Contract.Signed, position: int) -> list[Row]:
    """A fact per line signed, on the signing day; the first line counts the contract."""
    return [
        _fact(
            contract,
            position,
            n,
            event.signed_on,
            line["sku"],
            signed_lines=1,
            signed_contracts=int(n == 0),
            revenue=line["revenue"],
            cost=line["cost"],
            units=line["quantity"],
        )
        for n, line in enumerate(json.loads(contract["lines"]))
    ]


def delivered_facts(contract: Row, event: Contract.DeliveryRecorded, position: int) -> list[Row]:
    """A fact per sku delivered (in sku order), on the delivery's day."""
    day = utc_day(event.occurred_at)
    return [
        _fact(contract, position, n, day, sku, units_delivered=int(quantity))
        for n, (sku, quantity) in enumerate(sorted(event.lines.items()))
        if quantity
    ]


def split_facts(
    contract: Row, position: int, measure: str, day: date, amount: Decimal
) -> list[Row]:
    """An amount of the whole contract split over its lines pro rata, a fact per share."""
    lines = json.loads(contract["lines"])
    shares = split_pro_rata(cents(amount), [line["revenue"] for line in lines])
    return [
        _fact(contract, position, n, day, line["sku"], **{measure: share})
        for n, (line, share) in enumerate(zip(lines, shares, strict=True))
        if share
    ]


class SalesReport(ReadModel):
    """Signed, delivered, invoiced, collected and written-off figures, groupable."""

    name = "sales"
    table_names = ("sales_contracts", "sales_facts", "sales_adjustments")
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}sales_contracts ("
        "contract_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, owner_id TEXT NOT NULL, "
        "channel TEXT NOT NULL, region TEXT, lines TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}sales_facts ("
        "fact_id TEXT PRIMARY KEY, position BIGINT NOT NULL, day TEXT NOT NULL, "
        "month TEXT NOT NULL, quarter TEXT NOT NULL, contract_id TEXT NOT NULL, "
        "customer_id TEXT NOT NULL, region TEXT, channel TEXT NOT NULL, sku TEXT NOT NULL, "
        "owner_id TEXT NOT NULL, signed_lines BIGINT NOT NULL, signed_contracts BIGINT NOT NULL, "
        "revenue BIGINT NOT NULL, cost BIGINT NOT NULL, units BIGINT NOT NULL, "
        "units_delivered BIGINT NOT NULL, invoiced BIGINT NOT NULL, "
        "collected BIGINT NOT NULL, written_off BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}sales_facts_day ON {p}sales_facts (day)",
        "CREATE TABLE IF NOT EXISTS {p}sales_adjustments ("
        "fact_id TEXT PRIMARY KEY, position BIGINT NOT NULL, day TEXT NOT NULL, "
        "month TEXT NOT NULL, quarter TEXT NOT NULL, contract_id TEXT NOT NULL, "
        "customer_id TEXT NOT NULL, region TEXT, channel TEXT NOT NULL, sku TEXT NOT NULL, "
        "owner_id TEXT NOT NULL, penalties BIGINT NOT NULL, interest_charged BIGINT NOT NULL)",
    )

    def contract(self, contract_id: str) -> Row | None:
        rows = self.query(
            f"SELECT * FROM {self.table('sales_contracts')} WHERE contract_id = ?", [contract_id]
        )
        return rows[0] if rows else None

    def put_contract(self, row: Row, tracking: Tracking) -> None:
        statement = upsert(self.table("sales_contracts"), CONTRACT_COLUMNS, key="contract_id")
        self.write([(statement, [row[c] for c in CONTRACT_COLUMNS])], tracking)

    def add_facts(self, facts: Sequence[Row], tracking: Tracking) -> None:
        self.write(inserts(self.table("sales_facts"), FACT_COLUMNS, facts), tracking)

    def add_adjustments(self, rows: Sequence[Row], tracking: Tracking) -> None:
        self.write(inserts(self.table("sales_adjustments"), ADJUSTMENT_COLUMNS, rows), tracking)

    def _facts_source(self) -> str:
        """The facts and the adjustments as one relation with every measure."""
        facts = ", ".join([*FACT_COLUMNS, *(f"0 AS {a}" for a in ADJUSTMENTS)])
        zeros = ", ".join(f"0 AS {m}" for m in ("signed_lines", "signed_contracts", *MEASURES))
        adjusted = ", ".join([*FACT_COLUMNS[:11], zeros, *ADJUSTMENTS])
        return (
            f"(SELECT {facts} FROM {self.table('sales_facts')} UNION ALL "
            f"SELECT {adjusted} FROM {self.table('sales_adjustments')}) f"
        )

    def report(
        self,
        group_by: Sequence[str],
        *,
        day_from: date | None = None,
        day_to: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Row]:
        """The figures grouped by the keys given (none: one row of totals), ordered by them.

        `group_by` takes the API's names (`customer`, `owner`, ...); rows carry the
        row keys (`customer_id`, `owner_id`, ...) and money as decimal strings.
        """
        keys = [GROUP_KEYS[key] for key in dict.fromkeys(group_by)]
        where, params = filters((("day >= ?", iso_date(day_from)), ("day <= ?", iso_date(day_to))))
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        sums = ", ".join(f"SUM({m}) AS {m}" for m in (*MEASURES, *ADJUSTMENTS))
        # A contract's signing facts share every key but sku, and its skus are distinct:
        # grouped by sku, each signed line is one contract; otherwise the first line
        # counts it. Exact, and 3x faster than COUNT(DISTINCT) at 100 000 contracts.
        signed = "signed_lines" if "sku" in keys else "signed_contracts"
        select = ", ".join([*keys, f"SUM({signed}) AS contracts_signed", sums])
        statement = f"SELECT {select} FROM {self._facts_source()} {clause}"
        if keys:
            # NULL regions sort last on both databases.
            order = ", ".join(f"({k} IS NULL), {k}" for k in keys)
            statement += f"GROUP BY {', '.join(keys)} ORDER BY {order}"
        if limit is not None:
            statement += " LIMIT ? OFFSET ?"
            params.extend([limit, offset])
        return [self._item(row, keys) for row in self.query(statement, params)]

    @staticmethod
    def _item(row: Row, keys: Sequence[str]) -> Row:
        figures = {m: int(row[m] or 0) for m in (*MEASURES, *ADJUSTMENTS)}
        figures["gross_profit"] = figures["revenue"] - figures["cost"]
        item: Row = {key: row[key] for key in keys}
        item["contracts_signed"] = int(row["contracts_signed"] or 0)
        for name in (
            "revenue",
            "cost",
            "gross_profit",
            "units",
            "units_delivered",
            "invoiced",
            "collected",
            "written_off",
            "penalties",
            "interest_charged",
        ):
            item[name] = money_text(figures[name]) if name in MONEY else figures[name]
        return item

    def revenue_signed(self, first: date, last: date) -> int:
        """Revenue in cents of the contracts signed from the first to the last day given."""
        return cents(Decimal(self.report((), day_from=first, day_to=last)[0]["revenue"]))


class SalesProjection(Projection[SalesReport]):
    """Folds Contract events into sales facts; tracks every other event too."""

    name = "sales"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (Contract.Event,)

    def __init__(self, view: SalesReport) -> None:
        super().__init__(view)
        self._contracts = RecentRows()

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        match domain_event:
            case Contract.Drafted() | Contract.Amended():
                self._attributes(domain_event, tracking)
            case Contract.Event():
                self._facts(domain_event, tracking)
            case _:
                self.view.insert_tracking(tracking)

    def _attributes(self, event: Contract.Drafted | Contract.Amended, tracking: Tracking) -> None:
        contract_id = str(event.originator_id)
        drafted = isinstance(event, Contract.Drafted)
        row = None if drafted else self._contracts.get(contract_id, self.view.contract)
        folded = fold_contract(row, event)
        if folded is None:
            self.view.insert_tracking(tracking)
            return
        self.view.put_contract(folded, tracking)
        # Kept only once written: a failed write leaves the memory as the table is.
        self._contracts.remember(contract_id, folded)

    def _facts(self, event: Any, tracking: Tracking) -> None:
        contract = self._contracts.get(str(event.originator_id), self.view.contract)
        adjustments = fold_adjustments(contract, event, tracking.notification_id)
        if adjustments:
            self.view.add_adjustments(adjustments, tracking)
            return
        facts = fold_facts(contract, event, tracking.notification_id)
        if facts:
            self.view.add_facts(facts, tracking)
        else:
            self.view.insert_tracking(tracking)
