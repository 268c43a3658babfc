"""Campaigns (推廣效果評估): per campaign its budget, spend, reach, leads and return.

One row per campaign, folded from its events, and one row per customer registered with
a campaign as source (the attributed leads, counted at query time). Decisions:

- `leads` sums the leads the results recorded; `attributed_leads` counts customers
  registered with `source=campaign` and this campaign's id, whether or not the campaign
  exists (yet) in this read model; `cost_per_lead` divides spend by both.
- `attainment` has a key per target set; a target of 0 gives `null`.
- `GET /campaigns` lists the campaigns from this read model's table.
- As of a business time (`GET /reports/campaigns?as_of=`): a third table keeps a fact
  per status change (from the drafting on) and per result, with its `occurred_at`. A
  campaign counts once drafted by then, under its latest status by then (by
  `occurred_at`, then log position), with the results dated by then summed, and the
  customers registered with it by then (the registration's `occurred_at`); name,
  budget and targets are as they stand now (an amendment is no fact of the world). The
  status filter applies to the status then. A database folded before this table
  existed needs `mops projections rebuild campaigns` once for its older campaigns.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from eventsourcing.persistence import Tracking

from domain.campaign import Campaign
from domain.customer import Customer
from domain.values import normalise_name
from projections.events import iso_utc, plain
from projections.money import cents, money_text, ratio_float
from projections.rows import (
    NAME_LIKE,
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    created_stamps,
    directory_page,
    filters,
    inserts,
    name_pattern,
    named,
    row_fold,
    stamp_columns,
    upsert,
)
from projections.store import Statement

COLUMNS = (
    "id",
    "name",
    "name_key",
    "objective",
    "status",
    "owner_id",
    "channels",
    "starts_on",
    "ends_on",
    "budget_id",
    "budget_period",
    "budget_amount",
    "targets",
    "spend",
    "impressions",
    "clicks",
    "leads",
    "conversions",
    "attributed_revenue",
    "rating",
    *stamp_columns("drafted"),
)
STATUS_BY_EVENT = {
    Campaign.Submitted: "pending_approval",
    Campaign.Approved: "approved",
    Campaign.Rejected: "draft",
    Campaign.Launched: "running",
    Campaign.Completed: "completed",
    Campaign.Evaluated: "evaluated",
    Campaign.Cancelled: "cancelled",
}
# Fields an amendment sets as given, and the counts a result adds to.
AMENDABLE = (
    "name",
    "objective",
    "owner_id",
    "starts_on",
    "ends_on",
    "budget_id",
    "budget_period",
    "budget_amount",
)
COUNTS = ("impressions", "clicks", "leads", "conversions")
FACTS = (
    "fact_id",
    "campaign_id",
    "occurred_at",
    "status",
    "spend",
    *COUNTS,
    "attributed_revenue",
)


def campaign_facts(event: Any, position: int) -> list[Row]:
    """The dated fact a campaign event adds: a status it enters, or a result."""
    fact: Row = {
        "fact_id": f"{position:012d}",
        "campaign_id": str(event.originator_id),
        "occurred_at": iso_utc(event.occurred_at),
        "status": None,
        "spend": 0,
        **dict.fromkeys(COUNTS, 0),
        "attributed_revenue": 0,
    }
    if isinstance(event, Campaign.Drafted):
        return [{**fact, "status": "draft"}]
    if type(event) in STATUS_BY_EVENT:
        return [{**fact, "status": STATUS_BY_EVENT[type(event)]}]
    if isinstance(event, Campaign.ResultRecorded):
        figures = {field: getattr(event, field) for field in COUNTS}
        spend, revenue = cents(event.spend), cents(event.attributed_revenue)
        return [{**fact, **figures, "spend": spend, "attributed_revenue": revenue}]
    return []


def drafted(event: Campaign.Drafted, position: int) -> Row:
    """The row of a campaign just drafted, with nothing spent or reached yet."""
    return {
        "id": str(event.originator_id),
        **named(event.name),
        "objective": event.objective,
        "status": "draft",
        "owner_id": event.owner_id,
        "channels": json.dumps(event.channels),
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "budget_id": str(event.budget_id),
        "budget_period": event.budget_period,
        "budget_amount": str(event.budget_amount),
        "targets": json.dumps(plain(event.targets), sort_keys=True),
        "spend": "0.00",
        "impressions": 0,
        "clicks": 0,
        "leads": 0,
        "conversions": 0,
        "attributed_revenue": "0.00",
        "rating": None,
        **created_stamps(event, position, "drafted"),
    }


def amended(row: Row, changes: dict[str, Any]) -> Row:
    """The row with the fields an amendment changed (as JSON carries them)."""
    row = {**row, **{f: changes[f] for f in AMENDABLE if f in changes}}
    if "name" in changes:
        row["name_key"] = normalise_name(changes["name"])
    if "channels" in changes:
        row["channels"] = json.dumps(changes["channels"])
    if "targets" in changes:
        row["targets"] = json.dumps(changes["targets"], sort_keys=True)
    return row


def result_recorded(row: Row, event: Campaign.ResultRecorded) -> Row:
    """The row with a result's spend, reach, leads and revenue added to the totals."""
    revenue = Decimal(row["attributed_revenue"]) + event.attributed_revenue
    return {
        **row,
        "spend": str(Decimal(row["spend"]) + event.spend),
        "attributed_revenue": str(revenue),
        **{field: row[field] + getattr(event, field) for field in COUNTS},
    }


@row_fold(Campaign.Drafted, drafted)
def fold(row: Row, event: Any) -> Row:
    """The row of a campaign after one more of its events."""
    status = STATUS_BY_EVENT.get(type(event))
    if status is not None:
        row["status"] = status
    match event:
        case Campaign.Amended():
            return amended(row, plain(event.changes))
        case Campaign.ResultRecorded():
            return result_recorded(row, event)
        case Campaign.Evaluated():
            return {**row, "rating": event.rating}
    return row


def _ratio(numerator: Decimal, denominator: Decimal) -> float | None:
    # Rounded half even (the decimal context's default), as the report always was.
    return ratio_float(numerator, denominator, rounding=ROUND_HALF_EVEN)


def _as_then(row: Row) -> Row:
    """A campaign's row with its status and the sums of its facts at a business time."""
    summed = {m: int(row[f"sum_{m}"] or 0) for m in ("spend", *COUNTS, "attributed_revenue")}
    return {
        **{c: row[c] for c in COLUMNS},
        "status": row["status_then"],
        **{m: summed[m] for m in COUNTS},
        "spend": money_text(summed["spend"]),
        "attributed_revenue": money_text(summed["attributed_revenue"]),
    }


def report_item(row: Row, attributed_leads: int) -> dict[str, Any]:
    """A campaign's row of `GET /reports/campaigns`."""
    spend = Decimal(row["spend"])
    revenue = Decimal(row["attributed_revenue"])
    all_leads = row["leads"] + attributed_leads
    actual = {
        "impressions": Decimal(row["impressions"]),
        "leads": Decimal(all_leads),
        "conversions": Decimal(row["conversions"]),
        "revenue": revenue,
    }
    targets = json.loads(row["targets"])
    return {
        "campaign_id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "owner_id": row["owner_id"],
        "budget_id": row["budget_id"],
        "budget": row["budget_amount"],
        "spend": row["spend"],
        "impressions": row["impressions"],
        "clicks": row["clicks"],
        "leads": row["leads"],
        "attributed_leads": attributed_leads,
        "conversions": row["conversions"],
        "attributed_revenue": row["attributed_revenue"],
        "cost_per_lead": _ratio(spend, Decimal(all_leads)),
        "roi": _ratio(revenue - spend, spend),
        "attainment": {
            target: _ratio(actual[target], Decimal(str(value)))
            for target, value in sorted(targets.items())
        },
        "rating": row["rating"],
        "position": row["drafted_position"],
    }


class CampaignReport(RowPerAggregateView):
    """The campaigns with their running totals, and the leads attributed to them."""

    name = "campaigns"
    table_names = ("campaign_report", "campaign_leads", "campaign_facts")
    row_table = "campaign_report"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}campaign_report ("
        "id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL, "
        "objective TEXT NOT NULL, status TEXT NOT NULL, owner_id TEXT NOT NULL, "
        "channels TEXT NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT NOT NULL, "
        "budget_id TEXT NOT NULL, budget_period TEXT NOT NULL, budget_amount TEXT NOT NULL, "
        "targets TEXT NOT NULL, spend TEXT NOT NULL, impressions BIGINT NOT NULL, "
        "clicks BIGINT NOT NULL, leads BIGINT NOT NULL, conversions BIGINT NOT NULL, "
        "attributed_revenue TEXT NOT NULL, rating INTEGER, version INTEGER NOT NULL, "
        "drafted_at TEXT NOT NULL, drafted_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}campaign_report_position "
        "ON {p}campaign_report (drafted_position)",
        "CREATE TABLE IF NOT EXISTS {p}campaign_leads ("
        "customer_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, registered_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}campaign_leads_campaign ON {p}campaign_leads (campaign_id)",
        "CREATE TABLE IF NOT EXISTS {p}campaign_facts ("
        "fact_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        "status TEXT, spend BIGINT NOT NULL, impressions BIGINT NOT NULL, "
        "clicks BIGINT NOT NULL, leads BIGINT NOT NULL, conversions BIGINT NOT NULL, "
        "attributed_revenue BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}campaign_facts_campaign "
        "ON {p}campaign_facts (campaign_id, occurred_at)",
    )

    def put_with_facts(self, row: Row, facts: list[Row], tracking: Tracking) -> None:
        """Write a campaign's row and its new dated facts with the tracking position."""
        statements: list[Statement] = [
            (upsert(self.table(self.row_table), self.columns), [row[c] for c in self.columns]),
            *inserts(self.table("campaign_facts"), FACTS, facts),
        ]
        self.write(statements, tracking)

    def add_lead(self, customer_id: str, campaign_id: str, at: str, tracking: Tracking) -> None:
        self.write(
            [
                (
                    f"INSERT INTO {self.table('campaign_leads')} "
                    "(customer_id, campaign_id, registered_at) VALUES (?, ?, ?)",
                    [customer_id, campaign_id, at],
                )
            ],
            tracking,
        )

    def attributed(self, campaign_ids: list[str], as_of: datetime | None = None) -> dict[str, int]:
        """How many customers name each campaign as their source (registered by `as_of`)."""
        if not campaign_ids:
            return {}
        marks = ", ".join("?" for _ in campaign_ids)
        since = "" if as_of is None else " AND registered_at <= ?"
        rows = self.query(
            f"SELECT campaign_id, COUNT(*) AS n FROM {self.table('campaign_leads')} "
            f"WHERE campaign_id IN ({marks}){since} GROUP BY campaign_id",
            [*campaign_ids, *([] if as_of is None else [iso_utc(as_of)])],
        )
        return {r["campaign_id"]: int(r["n"]) for r in rows}

    def report_rows(
        self,
        *,
        limit: int,
        after: int | None,
        as_of: datetime | None,
        status: str | None = None,
        owner_id: str | None = None,
        budget_id: str | None = None,
    ) -> list[Row]:
        """The report's campaign rows now, or as they stood at a business time."""
        if as_of is None:
            return self.search(
                limit=limit, after=after, status=status, owner_id=owner_id, budget_id=budget_id
            )
        at = iso_utc(as_of)
        facts = self.table("campaign_facts")
        then = (
            f"(SELECT f.status FROM {facts} f WHERE f.campaign_id = r.id "
            "AND f.status IS NOT NULL AND f.occurred_at <= ? "
            "ORDER BY f.occurred_at DESC, f.fact_id DESC LIMIT 1)"
        )
        sums = ", ".join(f"SUM({m}) AS sum_{m}" for m in ("spend", *COUNTS, "attributed_revenue"))
        where, params = filters(
            (
                ("status_then = ?", status),
                ("owner_id = ?", owner_id),
                ("budget_id = ?", budget_id),
                ("drafted_position > ?", after),
            )
        )
        rows = self.query(
            f"SELECT * FROM (SELECT r.*, {then} AS status_then, s.* "
            f"FROM {self.table('campaign_report')} r LEFT JOIN (SELECT campaign_id AS fact_of, "
            f"{sums} FROM {facts} WHERE occurred_at <= ? GROUP BY campaign_id) s "
            "ON s.fact_of = r.id) t WHERE status_then IS NOT NULL"
            f"{''.join(f' AND {w}' for w in where)} ORDER BY drafted_position LIMIT ?",
            [at, at, *params, limit],
        )
        return [_as_then(row) for row in rows]

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        owner_id: str | None = None,
        budget_id: str | None = None,
        channel: str | None = None,
        q: str | None = None,
    ) -> list[Row]:
        """Campaigns matching every filter given, in the order they were drafted."""
        return directory_page(
            self,
            "campaign_report",
            "drafted_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("owner_id = ?", owner_id),
                ("budget_id = ?", budget_id),
                ("channels LIKE ?", None if channel is None else f'%"{channel.replace("%", "")}"%'),
                (NAME_LIKE, name_pattern(q)),
            ),
        )


class CampaignProjection(RowPerAggregateProjection[CampaignReport]):
    """Folds Campaign events into their rows, and campaign-sourced leads; tracks every event."""

    name = "campaigns"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (Campaign.Event, Customer.Registered)
    events = Campaign.Event
    creation = Campaign.Drafted
    fold = staticmethod(fold)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Customer.Registered):
            if domain_event.campaign_id is None:
                self.view.insert_tracking(tracking)
            else:
                self.view.add_lead(
                    str(domain_event.originator_id),
                    str(domain_event.campaign_id),
                    iso_utc(domain_event.occurred_at),
                    tracking,
                )
            return
        super().process_event(domain_event, tracking)

    def put(self, row: Row, event: Any, tracking: Tracking) -> None:
        facts = campaign_facts(event, tracking.notification_id)
        self.view.put_with_facts(row, facts, tracking)
