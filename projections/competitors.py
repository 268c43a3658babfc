"""The competitors read model: `GET /research-reports` and `GET /reports/competitors`.

It folds two kinds of events itself (a projection never reads another's tables):
ResearchReport events into a row per report (`research_reports`, the list) and, when a
report is published, a mention per competitor it names (`competitor_mentions`); and
Opportunity events into each opportunity's expected value (`competitor_opportunities`)
and a loss per `Lost` naming a competitor (`competitor_losses`), closed by `Reopened`.

Report (API.md, competitors), per competitor (names compared trimmed and casefolded,
shown as first written in the log): `reports` the published reports naming it whose
fieldwork ended in the range; `market_share` and `price_position` from the latest of
them (by publication; the share from the latest that gave one); `lost_count` and
`lost_value` (expected value) of opportunities lost to it in the range and still lost
at `as_of`; strengths and weaknesses counted over the reports. A publication counts
from its business time, a loss from its `occurred_at`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import Tracking

from domain.opportunity import Opportunity
from domain.research_report import ResearchReport, competitor_key
from projections.events import iso_utc
from projections.money import number
from projections.rows import (
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    created_stamps,
    directory_page,
    insert,
    row_fold,
    stamp_columns,
    upsert,
)

COLUMNS = (
    "id",
    "title",
    "topic",
    "method",
    "status",
    "region",
    "fieldwork_from",
    "fieldwork_to",
    "author_id",
    "competitors",
    "detail",
    "published_at",
    *stamp_columns("drafted"),
)
MENTION_COLUMNS = (
    "mention_key",
    "report_id",
    "position",
    "name",
    "name_key",
    "market_share",
    "price_position",
    "strengths",
    "weaknesses",
    "published_at",
    "fieldwork_to",
)
LOSS_COLUMNS = ("opportunity_id", "position", "name", "name_key", "value", "lost_at")


def competitor_detail(competitors: list[Any]) -> str:
    """The competitors as the row keeps them, as JSON."""
    return json.dumps(
        [
            {
                "name": c["name"],
                "market_share": None if c["market_share"] is None else str(c["market_share"]),
                "price_position": c["price_position"],
                "strengths": list(c["strengths"]),
                "weaknesses": list(c["weaknesses"]),
            }
            for c in competitors
        ]
    )


def drafted(event: ResearchReport.Drafted, position: int) -> Row:
    """The row of a report just drafted."""
    return {
        "id": str(event.originator_id),
        "title": event.title,
        "topic": event.topic,
        "method": event.method,
        "status": "draft",
        "region": event.region,
        "fieldwork_from": event.fieldwork_from.isoformat(),
        "fieldwork_to": event.fieldwork_to.isoformat(),
        "author_id": event.actor,
        "competitors": json.dumps([c["name"] for c in event.competitors]),
        "detail": competitor_detail(event.competitors),
        "published_at": None,
        **created_stamps(event, position, "drafted"),
    }


def _amended(row: Row, changes: dict[str, Any]) -> Row:
    new = dict(row)
    for name in ("title", "topic", "method", "region"):
        if name in changes:
            new[name] = changes[name]
    for name in ("fieldwork_from", "fieldwork_to"):
        if name in changes:
            new[name] = changes[name].isoformat()
    if "competitors" in changes:
        new["competitors"] = json.dumps([c["name"] for c in changes["competitors"]])
        new["detail"] = competitor_detail(changes["competitors"])
    return new


@row_fold(ResearchReport.Drafted, drafted)
def fold(row: Row, event: Any) -> Row:
    """The row of a report after one more of its events."""
    match event:
        case ResearchReport.Amended():
            return _amended(row, event.changes)
        case ResearchReport.Submitted():
            return {**row, "status": "submitted"}
        case ResearchReport.Returned():
            return {**row, "status": "draft"}
        case ResearchReport.Published():
            return {**row, "status": "published", "published_at": iso_utc(event.occurred_at)}
    return row


def mentions(row: Row, position: int) -> list[list[Any]]:
    """The mention rows of a published report, one per competitor it names."""
    return [
        [
            f"{row['id']}|{competitor_key(c['name'])}",
            row["id"],
            position,
            c["name"],
            competitor_key(c["name"]),
            c["market_share"],
            c["price_position"],
            json.dumps(c["strengths"]),
            json.dumps(c["weaknesses"]),
            row["published_at"],
            row["fieldwork_to"],
        ]
        for c in json.loads(row["detail"])
    ]


class CompetitorReport(RowPerAggregateView):
    """Research reports, their competitor mentions, and the opportunities lost to each."""

    name = "competitors"
    table_names = (
        "research_reports",
        "competitor_mentions",
        "competitor_opportunities",
        "competitor_losses",
    )
    row_table = "research_reports"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}research_reports ("
        "id TEXT PRIMARY KEY, title TEXT NOT NULL, topic TEXT NOT NULL, method TEXT NOT NULL, "
        "status TEXT NOT NULL, region TEXT, fieldwork_from TEXT NOT NULL, "
        "fieldwork_to TEXT NOT NULL, author_id TEXT NOT NULL, competitors TEXT NOT NULL, "
        "detail TEXT NOT NULL, published_at TEXT, version INTEGER NOT NULL, "
        "drafted_at TEXT NOT NULL, drafted_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}research_reports_position "
        "ON {p}research_reports (drafted_position)",
        # A unique key comes first in every table: verify keys a table's rows by the first
        # column (a mention: report and competitor; a loss: its event's position).
        "CREATE TABLE IF NOT EXISTS {p}competitor_mentions ("
        "mention_key TEXT PRIMARY KEY, report_id TEXT NOT NULL, position BIGINT NOT NULL, "
        "name TEXT NOT NULL, name_key TEXT NOT NULL, market_share TEXT, "
        "price_position TEXT NOT NULL, strengths TEXT NOT NULL, weaknesses TEXT NOT NULL, "
        "published_at TEXT NOT NULL, fieldwork_to TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}competitor_opportunities ("
        "id TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}competitor_losses ("
        "position BIGINT NOT NULL, opportunity_id TEXT NOT NULL, name TEXT NOT NULL, "
        "name_key TEXT NOT NULL, value TEXT NOT NULL, lost_at TEXT NOT NULL, reopened_at TEXT, "
        "PRIMARY KEY (opportunity_id, position))",
    )

    def opportunity_value(self, opportunity_id: str) -> Row | None:
        """An opportunity's expected value as folded, or None."""
        rows = self.query(
            f"SELECT id, value FROM {self.table('competitor_opportunities')} WHERE id = ?",
            [opportunity_id],
        )
        return rows[0] if rows else None

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        method: str | None = None,
        region: str | None = None,
    ) -> list[Row]:
        """Reports matching every filter given, in the order they were drafted."""
        return directory_page(
            self,
            "research_reports",
            "drafted_position",
            limit=limit,
            after=after,
            conditions=(("status = ?", status), ("method = ?", method), ("region = ?", region)),
        )

    def report_rows(
        self, *, day_from: date | None, day_to: date | None, as_of: datetime
    ) -> list[Row]:
        """Per competitor, in the order of their names (casefolded)."""
        at = iso_utc(as_of)
        found = self.query(
            f"SELECT * FROM {self.table('competitor_mentions')} WHERE published_at <= ? "
            "AND fieldwork_to >= ? AND fieldwork_to <= ? ORDER BY position",
            [at, (day_from or date.min).isoformat(), (day_to or date.max).isoformat()],
        )
        losses = self.query(
            f"SELECT * FROM {self.table('competitor_losses')} WHERE lost_at <= ? "
            "AND lost_at >= ? AND lost_at <= ? AND (reopened_at IS NULL OR reopened_at > ?) "
            "ORDER BY position",
            [at, _start(day_from), _end(day_to), at],
        )
        return competitor_rows(found, losses)


def _start(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _end(day: date | None) -> str:
    return "~" if day is None else f"{day.isoformat()}~"


def _entry(rows: dict[str, Row], key: str, name: str, position: int) -> Row:
    entry = rows.setdefault(
        key,
        {
            "name": name,
            "first": position,
            "reports": 0,
            "market_share": None,
            "price_position": None,
            "lost_count": 0,
            "lost_value": Decimal(0),
            "strengths": {},
            "weaknesses": {},
        },
    )
    if position < entry["first"]:
        entry["name"], entry["first"] = name, position
    return entry


def competitor_rows(found: list[Row], losses: list[Row]) -> list[Row]:
    """The report's rows from the mentions and losses counted (each in log order)."""
    rows: dict[str, Row] = {}
    for m in found:
        entry = _entry(rows, m["name_key"], m["name"], m["position"])
        entry["reports"] += 1
        entry["price_position"] = m["price_position"]
        if m["market_share"] is not None:
            entry["market_share"] = m["market_share"]
        for part in ("strengths", "weaknesses"):
            for text in json.loads(m[part]):
                entry[part][text] = entry[part].get(text, 0) + 1
    for loss in losses:
        entry = _entry(rows, loss["name_key"], loss["name"], loss["position"])
        entry["lost_count"] += 1
        entry["lost_value"] += Decimal(loss["value"])
    return [
        {
            "name": e["name"],
            "reports": e["reports"],
            "market_share": None
            if e["market_share"] is None
            else number(Decimal(e["market_share"])),
            "price_position": e["price_position"],
            "lost_count": e["lost_count"],
            "lost_value": str(e["lost_value"].quantize(Decimal("0.01"))),
            "strengths": dict(sorted(e["strengths"].items(), key=lambda kv: (-kv[1], kv[0]))),
            "weaknesses": dict(sorted(e["weaknesses"].items(), key=lambda kv: (-kv[1], kv[0]))),
        }
        for _, e in sorted(rows.items())
    ]


class CompetitorProjection(RowPerAggregateProjection[CompetitorReport]):
    """Folds ResearchReport and Opportunity events; tracks every other event."""

    name = "competitors"
    folded_events = (
        ResearchReport.Event,
        Opportunity.Opened,
        Opportunity.Lost,
        Opportunity.Reopened,
    )
    events = ResearchReport.Event
    creation = ResearchReport.Drafted
    fold = staticmethod(fold)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Opportunity.Opened | Opportunity.Lost | Opportunity.Reopened):
            self.view.write(self._opportunity(domain_event, tracking.notification_id), tracking)
        else:
            super().process_event(domain_event, tracking)

    def put(self, row: Row, event: Any, tracking: Tracking) -> None:
        statements = [
            (upsert(self.view.table("research_reports"), COLUMNS), [row[c] for c in COLUMNS])
        ]
        if isinstance(event, ResearchReport.Published):
            table = insert(self.view.table("competitor_mentions"), MENTION_COLUMNS)
            statements += [(table, m) for m in mentions(row, tracking.notification_id)]
        self.view.write(statements, tracking)

    def _opportunity(self, event: Any, position: int) -> list[Any]:
        opportunity_id = str(event.originator_id)
        if isinstance(event, Opportunity.Opened):
            opened = {"id": opportunity_id, "value": str(event.expected_value)}
            self._rows.remember(f"opportunity:{opportunity_id}", opened)
            table = upsert(self.view.table("competitor_opportunities"), ("id", "value"))
            return [(table, [opportunity_id, opened["value"]])]
        losses = self.view.table("competitor_losses")
        if isinstance(event, Opportunity.Reopened):
            return [
                (
                    f"UPDATE {losses} SET reopened_at = ? "
                    "WHERE opportunity_id = ? AND reopened_at IS NULL",
                    [iso_utc(event.occurred_at), opportunity_id],
                )
            ]
        name = (event.competitor or "").strip()
        if not name:
            return []
        known = self._rows.get(
            f"opportunity:{opportunity_id}", lambda _: self.view.opportunity_value(opportunity_id)
        )
        value = known["value"] if known else "0.00"
        return [
            (
                insert(losses, LOSS_COLUMNS),
                [
                    opportunity_id,
                    position,
                    name,
                    competitor_key(name),
                    value,
                    iso_utc(event.occurred_at),
                ],
            )
        ]
