"""The sales pipeline read model (DOMAIN.md, Read models, 8): per opportunity and summaries.

Three tables, all folded from Opportunity events only:

- `pipeline_opportunities`: a row per opportunity as it stands now (the list
  `GET /opportunities`, and what the fold needs of the opportunity's past).
- `pipeline_states`: a dated row per change of an opportunity's pipeline state
  (status, stage, value, weighted value), at the event's business time (`occurred_at`),
  so the open pipeline can be read as it stood at any moment.
- `pipeline_facts`: a dated row per funnel fact: a stage entered, a regression, a win,
  a loss, each with its business day and month.

Money is kept in integer cents and summed in SQL. Decisions where the spec is silent:

- As of: a report at `as_of` sees only facts and states whose business time is on or
  before it (a date means the end of that day, UTC). Each opportunity's open figures
  are those of its latest state at `as_of`.
- Value: the expected value until a quote is added, then the latest quote's total; a
  win is worth the won quote's total. Weighted value = value x the probability stamped
  in the event that set the stage (rounded half up to the cent per opportunity), so a
  past pipeline keeps the weights of its day when the setting changes.
- Open figures (`open_count`, `open_value`, `weighted_value`): opportunities open at
  `as_of`, under the stage they were in then; `month` is the month of their expected
  close date (the forecast: what is expected to close when). `from`/`to`, when given,
  keep those expected to close in the range; when not given, every open opportunity.
- Flow figures (`entered`, `regressions`, won, lost, `win_rate`, `avg_cycle_days`,
  `loss_reasons`) count facts whose business day lies in `from`..`to` (default:
  everything up to `as_of`); `month` is the month of the fact's day.
- `entered`: the number of distinct opportunities entering the row's stage(s) in the
  range, forward: opening (qualification), each stage an advance reaches or passes
  over (an advance from qualification to proposal enters needs_analysis and proposal),
  and a reopen (qualification). Moving back is not an entry; it is a regression.
- `regressions`: regressions in the range, under the stage moved back from.
- Closes: an opportunity closed more than once in the range (lost, reopened, won)
  counts once, by its last close in the range; won and lost rows are under the stage
  the opportunity closed from. `win_rate` = won / (won + lost), `null` when none;
  `avg_cycle_days` = the mean of whole days from opening to that close (opening's
  business day to the close's), 2 places, `null` when none; `loss_reasons` counts the
  lost by reason.
- Without `group_by` the report answers one row of totals.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.opportunity import STAGES, Opportunity
from domain.values import normalise_name
from projections.events import iso_utc
from projections.rows import NAME_LIKE, directory_page, name_pattern, upsert
from projections.store import ReadModel, Statement

Row = dict[str, Any]

# The report's group_by keys and the row keys they answer under.
GROUP_KEYS = {"owner": "owner_id", "stage": "stage", "month": "month"}
LOSS_REASONS = ("price", "product", "timing", "competitor", "no_decision", "other")

COLUMNS = (
    "id",
    "title",
    "name_key",
    "customer_id",
    "owner_id",
    "status",
    "stage",
    "closed_from",
    "expected_value",
    "value",
    "probability",
    "weighted_value",
    "expected_close_on",
    "opened_at",
    "closed_at",
    "contract_id",
    "loss_reason",
    "competitor",
    "quotes",
    "regressions",
    "version",
    "created_at",
    "created_position",
    "updated_at",
)
STATE_COLUMNS = (
    "state_key",
    "opportunity_id",
    "version",
    "at",
    "owner_id",
    "status",
    "stage",
    "value",
    "weighted",
    "expected_close_on",
    "month",
)
FACT_COLUMNS = (
    "fact_id",
    "position",
    "opportunity_id",
    "at",
    "day",
    "month",
    "owner_id",
    "kind",
    "stage",
    "value",
    "reason",
    "cycle_days",
)


def cents(amount: Decimal) -> int:
    """Money as whole cents, half up."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money_text(amount_cents: int | None) -> str:
    return str((Decimal(int(amount_cents or 0)) / 100).quantize(Decimal("0.01")))


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def weighted(value_cents: int, probability: str) -> int:
    """Value times probability, in cents rounded half up."""
    return int((value_cents * Decimal(probability)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def fold(row: Row | None, event: Any, position: int) -> tuple[Row, bool, list[Row]]:
    """The opportunity's row after the event, whether its state changed, and its facts."""
    facts: list[Row] = []
    changed = True

    def fact(kind: str, stage: str, **extra: Any) -> None:
        day = _day(event.occurred_at)
        facts.append(
            {
                "fact_id": f"{position}:{len(facts)}",
                "position": position,
                "opportunity_id": str(event.originator_id),
                "at": iso_utc(event.occurred_at),
                "day": day.isoformat(),
                "month": month_of(day),
                "owner_id": new["owner_id"],
                "kind": kind,
                "stage": stage,
                "value": extra.get("value"),
                "reason": extra.get("reason"),
                "cycle_days": extra.get("cycle_days"),
            }
        )

    if isinstance(event, Opportunity.Opened):
        value = cents(event.expected_value)
        new: Row = {
            "id": str(event.originator_id),
            "title": event.title,
            "name_key": normalise_name(event.title),
            "customer_id": str(event.customer_id),
            "owner_id": event.owner_id,
            "status": "open",
            "stage": event.stage,
            "closed_from": None,
            "expected_value": value,
            "value": value,
            "probability": str(event.probability),
            "expected_close_on": event.expected_close_on.isoformat(),
            "opened_at": iso_utc(event.occurred_at),
            "closed_at": None,
            "contract_id": None,
            "loss_reason": None,
            "competitor": None,
            "quotes": 0,
            "regressions": 0,
            "created_at": iso_utc(event.timestamp),
            "created_position": position,
        }
        fact("entered", event.stage)
    else:
        assert row is not None
        new = dict(row)
        if isinstance(event, Opportunity.Advanced):
            new.update(stage=event.to_stage, probability=str(event.probability))
            first, last = STAGES.index(event.from_stage) + 1, STAGES.index(event.to_stage)
            for stage in STAGES[first : last + 1]:
                fact("entered", stage)
        elif isinstance(event, Opportunity.Regressed):
            new.update(
                stage=event.to_stage,
                probability=str(event.probability),
                regressions=row["regressions"] + 1,
            )
            fact("regressed", event.from_stage, reason=event.reason)
        elif isinstance(event, Opportunity.QuoteAdded):
            new.update(value=cents(event.total), quotes=row["quotes"] + 1)
        elif isinstance(event, Opportunity.Won | Opportunity.Lost):
            won = isinstance(event, Opportunity.Won)
            value = cents(event.value) if won else row["value"]
            opened = date.fromisoformat(row["opened_at"][:10])
            new.update(
                status="won" if won else "lost",
                stage="won" if won else "lost",
                closed_from=event.from_stage,
                value=value,
                probability=str(event.probability),
                closed_at=iso_utc(event.occurred_at),
            )
            if won:
                new["contract_id"] = str(event.contract_id)
            else:
                new.update(loss_reason=event.reason, competitor=event.competitor)
            fact(
                new["status"],
                event.from_stage,
                value=value,
                reason=None if won else event.reason,
                cycle_days=(_day(event.occurred_at) - opened).days,
            )
        elif isinstance(event, Opportunity.Reopened):
            new.update(
                status="open",
                stage=event.stage,
                closed_from=None,
                closed_at=None,
                probability=str(event.probability),
                loss_reason=None,
                competitor=None,
            )
            fact("entered", event.stage)
        else:
            changed = False
    new["weighted_value"] = weighted(new["value"], new["probability"])
    new["version"] = event.originator_version
    new["updated_at"] = iso_utc(event.timestamp)
    return new, changed, facts


def state_of(row: Row, event: Any) -> Row:
    """The dated state an event leaves the opportunity in."""
    return {
        "state_key": f"{row['id']}:{event.originator_version}",
        "opportunity_id": row["id"],
        "version": event.originator_version,
        "at": iso_utc(event.occurred_at),
        "owner_id": row["owner_id"],
        "status": row["status"],
        "stage": row["stage"],
        "value": row["value"],
        "weighted": row["weighted_value"],
        "expected_close_on": row["expected_close_on"],
        "month": row["expected_close_on"][:7],
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return float(
        (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    )


class PipelineReport(ReadModel):
    """Opportunities now, their dated states and funnel facts; the pipeline as of a time."""

    name = "pipeline"
    table_names = ("pipeline_opportunities", "pipeline_states", "pipeline_facts")
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}pipeline_opportunities ("
        "id TEXT PRIMARY KEY, title TEXT NOT NULL, name_key TEXT NOT NULL, "
        "customer_id TEXT NOT NULL, owner_id TEXT NOT NULL, status TEXT NOT NULL, "
        "stage TEXT NOT NULL, closed_from TEXT, expected_value BIGINT NOT NULL, "
        "value BIGINT NOT NULL, probability TEXT NOT NULL, weighted_value BIGINT NOT NULL, "
        "expected_close_on TEXT NOT NULL, opened_at TEXT NOT NULL, closed_at TEXT, "
        "contract_id TEXT, loss_reason TEXT, competitor TEXT, quotes INTEGER NOT NULL, "
        "regressions INTEGER NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "created_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}pipeline_opportunities_position "
        "ON {p}pipeline_opportunities (created_position)",
        "CREATE TABLE IF NOT EXISTS {p}pipeline_states ("
        "state_key TEXT PRIMARY KEY, opportunity_id TEXT NOT NULL, version INTEGER NOT NULL, "
        "at TEXT NOT NULL, owner_id TEXT NOT NULL, status TEXT NOT NULL, stage TEXT NOT NULL, "
        "value BIGINT NOT NULL, weighted BIGINT NOT NULL, expected_close_on TEXT NOT NULL, "
        "month TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}pipeline_states_at ON {p}pipeline_states "
        "(opportunity_id, at)",
        "CREATE TABLE IF NOT EXISTS {p}pipeline_facts ("
        "fact_id TEXT PRIMARY KEY, position BIGINT NOT NULL, opportunity_id TEXT NOT NULL, "
        "at TEXT NOT NULL, day TEXT NOT NULL, month TEXT NOT NULL, owner_id TEXT NOT NULL, "
        "kind TEXT NOT NULL, stage TEXT NOT NULL, value BIGINT, reason TEXT, cycle_days INTEGER)",
        "CREATE INDEX IF NOT EXISTS {n}pipeline_facts_day ON {p}pipeline_facts (day)",
    )

    # Writing.

    def row(self, opportunity_id: str) -> Row | None:
        rows = self.query(
            f"SELECT * FROM {self.table('pipeline_opportunities')} WHERE id = ?", [opportunity_id]
        )
        return rows[0] if rows else None

    def put(self, row: Row, state: Row | None, facts: Sequence[Row], tracking: Tracking) -> None:
        statements: list[Statement] = [
            (upsert(self.table("pipeline_opportunities"), COLUMNS), [row[c] for c in COLUMNS])
        ]
        if state is not None:
            statements.append(
                (
                    upsert(self.table("pipeline_states"), STATE_COLUMNS, key="state_key"),
                    [state[c] for c in STATE_COLUMNS],
                )
            )
        for fact in facts:
            statements.append(
                (
                    upsert(self.table("pipeline_facts"), FACT_COLUMNS, key="fact_id"),
                    [fact[c] for c in FACT_COLUMNS],
                )
            )
        self.write(statements, tracking)

    # Reading.

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        stage: str | None = None,
        owner_id: str | None = None,
        customer_id: str | None = None,
        q: str | None = None,
    ) -> list[Row]:
        """Opportunities matching every filter given, in the order they were opened."""
        return directory_page(
            self,
            "pipeline_opportunities",
            "created_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("stage = ?", stage),
                ("owner_id = ?", owner_id),
                ("customer_id = ?", customer_id),
                (NAME_LIKE, name_pattern(q)),
            ),
        )

    def report(
        self,
        group_by: Sequence[str],
        *,
        as_of: datetime,
        day_from: date | None = None,
        day_to: date | None = None,
    ) -> list[Row]:
        """The pipeline rows grouped by the keys given (API names), ordered by them."""
        keys = [GROUP_KEYS[key] for key in dict.fromkeys(group_by)]
        at = iso_utc(as_of)
        rows: dict[tuple, Row] = {}

        def bucket(found: Row) -> Row:
            key = tuple(found[k] for k in keys)
            if key not in rows:
                rows[key] = {k: found[k] for k in keys} | {
                    "open_count": 0,
                    "open_value": 0,
                    "weighted_value": 0,
                    "won_count": 0,
                    "won_value": 0,
                    "lost_count": 0,
                    "cycle_total": 0,
                    "entered": 0,
                    "regressions": 0,
                    "loss_reasons": {},
                }
            return rows[key]

        select = "".join(f"{k}, " for k in keys)
        group = f" GROUP BY {', '.join(keys)}" if keys else ""

        # Open at as_of: the latest state of each opportunity then, the one that no
        # later state (by time, then version) up to as_of follows. As a NOT EXISTS
        # probe of the (opportunity_id, at) index rather than ROW_NUMBER() over every
        # state up to as_of, it only looks at open states: 1.6x faster on SQLite, 2.2x
        # on PostgreSQL at 100 000 states (bench/service_reports.py, docs/PERFORMANCE.md).
        states = self.table("pipeline_states")
        where, params = ["s.at <= ?", "s.status = 'open'"], [at]
        if day_from is not None:
            where.append("s.expected_close_on >= ?")
            params.append(day_from.isoformat())
        if day_to is not None:
            where.append("s.expected_close_on <= ?")
            params.append(day_to.isoformat())
        where.append(
            f"NOT EXISTS (SELECT 1 FROM {states} t WHERE t.opportunity_id = s.opportunity_id "
            "AND t.at <= ? AND (t.at > s.at OR (t.at = s.at AND t.version > s.version)))"
        )
        params.append(at)
        for found in self.query(
            f"SELECT {select}COUNT(*) AS n, SUM(value) AS v, SUM(weighted) AS w "
            f"FROM {states} s WHERE {' AND '.join(where)}{group}",
            params,
        ):
            if found["n"]:
                item = bucket(found)
                item.update(open_count=int(found["n"]), open_value=int(found["v"] or 0))
                item["weighted_value"] = int(found["w"] or 0)

        # Facts in the range, up to as_of.
        in_range, range_params = ["at <= ?"], [at]
        if day_from is not None:
            in_range.append("day >= ?")
            range_params.append(day_from.isoformat())
        if day_to is not None:
            in_range.append("day <= ?")
            range_params.append(day_to.isoformat())
        facts = self.table("pipeline_facts")
        for found in self.query(
            f"SELECT {select}"
            "COUNT(DISTINCT CASE WHEN kind = 'entered' THEN opportunity_id END) AS entered, "
            "SUM(CASE WHEN kind = 'regressed' THEN 1 ELSE 0 END) AS regressions "
            f"FROM {facts} WHERE kind IN ('entered', 'regressed') AND "
            f"{' AND '.join(in_range)}{group}",
            range_params,
        ):
            if found["entered"] or found["regressions"]:
                item = bucket(found)
                item.update(entered=int(found["entered"]), regressions=int(found["regressions"]))

        closes = (
            "SELECT f.*, ROW_NUMBER() OVER (PARTITION BY opportunity_id "
            "ORDER BY at DESC, position DESC) AS rn "
            f"FROM {facts} f WHERE kind IN ('won', 'lost') AND {' AND '.join(in_range)}"
        )
        for found in self.query(
            f"SELECT {select}"
            "SUM(CASE WHEN kind = 'won' THEN 1 ELSE 0 END) AS won, "
            "SUM(CASE WHEN kind = 'won' THEN value ELSE 0 END) AS won_value, "
            "SUM(CASE WHEN kind = 'lost' THEN 1 ELSE 0 END) AS lost, "
            "SUM(cycle_days) AS cycle_total "
            f"FROM ({closes}) closes WHERE rn = 1{group}",
            range_params,
        ):
            if found["won"] or found["lost"]:
                item = bucket(found)
                item.update(
                    won_count=int(found["won"]),
                    won_value=int(found["won_value"] or 0),
                    lost_count=int(found["lost"]),
                    cycle_total=int(found["cycle_total"] or 0),
                )
        reasons_group = f" GROUP BY {', '.join([*keys, 'reason'])}"
        for found in self.query(
            f"SELECT {select}reason, COUNT(*) AS n FROM ({closes}) closes "
            f"WHERE rn = 1 AND kind = 'lost'{reasons_group}",
            range_params,
        ):
            bucket(found)["loss_reasons"][found["reason"]] = int(found["n"])

        if not keys and not rows:
            bucket({})
        return [self._item(rows[key], keys) for key in sorted(rows, key=_sort_key)]

    @staticmethod
    def _item(row: Row, keys: Sequence[str]) -> Row:
        closed = row["won_count"] + row["lost_count"]
        item: Row = {k: row[k] for k in keys}
        item.update(
            open_count=row["open_count"],
            open_value=money_text(row["open_value"]),
            weighted_value=money_text(row["weighted_value"]),
            won_count=row["won_count"],
            won_value=money_text(row["won_value"]),
            lost_count=row["lost_count"],
            win_rate=_ratio(row["won_count"], closed),
            avg_cycle_days=(
                float(
                    (Decimal(row["cycle_total"]) / closed).quantize(Decimal("0.01"), ROUND_HALF_UP)
                )
                if closed
                else None
            ),
            entered=row["entered"],
            regressions=row["regressions"],
            loss_reasons=dict(sorted(row["loss_reasons"].items())),
        )
        return item


def _sort_key(key: tuple) -> tuple:
    return tuple((value is None, STAGE_ORDER.get(value, 99), value or "") for value in key)


# Stages sort in funnel order; other keys (owners, months) as text.
STAGE_ORDER = {stage: index for index, stage in enumerate([*STAGES, "won", "lost"])}

# Opportunities this projection wrote lately, kept so that the next event of one needs
# no read: the projection is the only writer of its tables.
CACHE_SIZE = 10_000


class PipelineProjection(Projection[PipelineReport]):
    """Folds Opportunity events into the pipeline; tracks every other event too."""

    name = "pipeline"

    def __init__(self, view: PipelineReport) -> None:
        super().__init__(view)
        self._rows: OrderedDict[str, Row] = OrderedDict()

    def _row(self, opportunity_id: str) -> Row | None:
        row = self._rows.get(opportunity_id)
        if row is not None:
            self._rows.move_to_end(opportunity_id)
            return row
        return self.view.row(opportunity_id)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, Opportunity.Event):
            self.view.insert_tracking(tracking)
            return
        opportunity_id = str(domain_event.originator_id)
        created = isinstance(domain_event, Opportunity.Opened)
        row = None if created else self._row(opportunity_id)
        if row is None and not created:
            self.view.insert_tracking(tracking)
            return
        new, changed, facts = fold(row, domain_event, tracking.notification_id)
        state = state_of(new, domain_event) if changed else None
        self.view.put(new, state, facts, tracking)
        # Cached only once written: a write that fails leaves the cache as the table is.
        self._rows[opportunity_id] = new
        self._rows.move_to_end(opportunity_id)
        if len(self._rows) > CACHE_SIZE:
            self._rows.popitem(last=False)
