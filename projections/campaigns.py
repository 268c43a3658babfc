"""Campaigns (推廣效果評估): per campaign its budget, spend, reach, leads and return.

One row per campaign, folded from its events, and one row per customer registered with
a campaign as source (the attributed leads, counted at query time). Decisions:

- `leads` sums the leads the results recorded; `attributed_leads` counts customers
  registered with `source=campaign` and this campaign's id, whether or not the campaign
  exists (yet) in this read model; `cost_per_lead` divides spend by both.
- `attainment` has a key per target set; a target of 0 gives `null`.
- `GET /campaigns` lists the campaigns from this read model's table.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from eventsourcing.persistence import Tracking

from domain.campaign import Campaign
from domain.customer import Customer
from domain.values import normalise_name
from projections.events import iso_utc, plain
from projections.money import ratio_float
from projections.rows import (
    NAME_LIKE,
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    directory_page,
    name_pattern,
    touched,
)

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
    "version",
    "drafted_at",
    "drafted_position",
    "updated_at",
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


def drafted(event: Campaign.Drafted, position: int) -> Row:
    """The row of a campaign just drafted, with nothing spent or reached yet."""
    return {
        "id": str(event.originator_id),
        "name": event.name,
        "name_key": normalise_name(event.name),
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
        "version": event.originator_version,
        "drafted_at": iso_utc(event.timestamp),
        "drafted_position": position,
        "updated_at": iso_utc(event.timestamp),
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


def fold(row: Row | None, event: Any, position: int) -> Row | None:
    """The row of a campaign after one more of its events."""
    if isinstance(event, Campaign.Drafted):
        return drafted(event, position)
    if row is None:
        return None
    row = touched(row, event)
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
    table_names = ("campaign_report", "campaign_leads")
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
    )

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

    def attributed(self, campaign_ids: list[str]) -> dict[str, int]:
        """How many customers name each campaign as their source."""
        if not campaign_ids:
            return {}
        marks = ", ".join("?" for _ in campaign_ids)
        rows = self.query(
            f"SELECT campaign_id, COUNT(*) AS n FROM {self.table('campaign_leads')} "
            f"WHERE campaign_id IN ({marks}) GROUP BY campaign_id",
            campaign_ids,
        )
        return {r["campaign_id"]: int(r["n"]) for r in rows}

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
