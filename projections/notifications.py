"""The notifications read model (DOMAIN.md, Read models, 14): the inbox and the delivery log.

A tracked fold like every read model. It keeps, in tables of its own, the facts its
rules need (projections/notice_rules.py): the credit facts, folded by the credit
report's own fold into copies of its tables (`notice_credit_*`, so that an alert here is
an alert there), customers' and contracts' owners, reminders, complaints' SLA clocks and
next follow-ups; and the webhook subscriptions and the recipients' receipts.

After an event that changes a subject's facts, the rules are evaluated for that subject
at the event's recording time, in the same transaction as the event's rows and the
tracking position: a notice whose condition became true is raised (a `notices` row, its
recipients and, for every webhook subscribed to its rule, an outbox row), an open one
whose condition stopped holding gets `cleared_at`. The clock tick of the read side
(projections/notice_clock.py) evaluates every subject at its own moment the same way.
At most one notice per key (rule, subject type, subject id, level) is open at a time (a
unique index says so to the database as well); its id is a `uuid5` of the key and how
many times the key was raised before, so that a notice raised again after a rebuild has
the id it had, and webhook receivers that dedupe by `X-Mops-Delivery` see it once.

`table_names` holds the tables folded from the log (what `verify` compares); the
notices, recipients, outbox and delivery log record what the read side did at its own
moments (ticks, deliveries) and are dropped with the rest by a rebuild (`drop`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.complaint import Complaint
from domain.contract import Contract
from domain.customer import Customer
from domain.notification import NotificationReceipt, Webhook
from domain.values import subject_key
from projections import credit
from projections.events import iso_utc
from projections.notice_rules import (
    DEFAULT_DUNNING_DAYS,
    Notice,
    credit_notices,
    dunning_notices,
    follow_up_notices,
    sla_notices,
    utc_day,
)
from projections.rows import insert, insert_once, update, upsert
from projections.store import Statement

Row = dict[str, Any]
NOTICE_NAMESPACE = uuid5(NAMESPACE_URL, "mops:notification")
NOTICE_COLUMNS = (
    "id",
    "rule",
    "subject_type",
    "subject_id",
    "level",
    "occurrence",
    "raised_at",
    "cleared_at",
    "facts",
    "recipients",
)
OUTBOX_COLUMNS = (
    "notification_id",
    "webhook_id",
    "body",
    "raised_at",
    "next_attempt_at",
    "attempts",
    "delivered_at",
    "given_up_at",
)
FOLDED_TABLES = (
    "notice_owners",
    "notice_contracts",
    "notice_reminders",
    "notice_complaints",
    "notice_follow_ups",
    "notice_webhooks",
    "notice_receipts",
)
CLOCK_TABLES = ("notices", "notice_recipients", "notice_outbox", "notice_deliveries")
# Which rules a family of subjects answers for, and the type of its subjects.
FAMILIES = {
    "credit": (("credit_alert",), "customer"),
    "dunning": (("dunning_due",), "invoice"),
    "sla": (("sla_at_risk", "sla_breached"), "complaint"),
    "follow_up": (("follow_up_due",), "customer"),
}

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {p}notice_owners (customer_id TEXT PRIMARY KEY, owner_id TEXT)",
    "CREATE TABLE IF NOT EXISTS {p}notice_contracts ("
    "contract_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, owner_id TEXT)",
    "CREATE TABLE IF NOT EXISTS {p}notice_reminders ("
    "position BIGINT PRIMARY KEY, contract_id TEXT NOT NULL, level INTEGER NOT NULL, "
    "sent_on TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {n}notice_reminders_contract ON {p}notice_reminders (contract_id)",
    "CREATE TABLE IF NOT EXISTS {p}notice_complaints ("
    "id TEXT PRIMARY KEY, assignee_id TEXT, received_at TEXT NOT NULL, "
    "respond_by TEXT NOT NULL, resolve_by TEXT NOT NULL, responded_at TEXT, "
    "resolved_at TEXT, closed_at TEXT)",
    "CREATE TABLE IF NOT EXISTS {p}notice_follow_ups ("
    "customer_id TEXT PRIMARY KEY, owner_id TEXT, next_on TEXT, last_at TEXT)",
    "CREATE INDEX IF NOT EXISTS {n}notice_follow_ups_next ON {p}notice_follow_ups (next_on)",
    "CREATE TABLE IF NOT EXISTS {p}notice_webhooks ("
    "id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, rules TEXT NOT NULL, "
    "subscribed_at TEXT NOT NULL, deleted_at TEXT)",
    "CREATE TABLE IF NOT EXISTS {p}notice_receipts ("
    "receipt_id TEXT PRIMARY KEY, notification_id TEXT NOT NULL, reader TEXT NOT NULL, "
    "read_at TEXT, acknowledged_at TEXT)",
    "CREATE INDEX IF NOT EXISTS {n}notice_receipts_reader "
    "ON {p}notice_receipts (notification_id, reader)",
    "CREATE TABLE IF NOT EXISTS {p}notices ("
    "id TEXT PRIMARY KEY, rule TEXT NOT NULL, subject_type TEXT NOT NULL, "
    "subject_id TEXT NOT NULL, level TEXT NOT NULL, occurrence INTEGER NOT NULL, "
    "raised_at TEXT NOT NULL, cleared_at TEXT, facts TEXT NOT NULL, recipients TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS {n}notices_open "
    "ON {p}notices (rule, subject_type, subject_id, level) WHERE cleared_at IS NULL",
    "CREATE INDEX IF NOT EXISTS {n}notices_key ON {p}notices (subject_id, rule)",
    "CREATE INDEX IF NOT EXISTS {n}notices_raised ON {p}notices (raised_at)",
    "CREATE TABLE IF NOT EXISTS {p}notice_recipients ("
    "notification_id TEXT NOT NULL, recipient TEXT NOT NULL, "
    "PRIMARY KEY (notification_id, recipient))",
    "CREATE INDEX IF NOT EXISTS {n}notice_recipients_to "
    "ON {p}notice_recipients (recipient, notification_id)",
    "CREATE TABLE IF NOT EXISTS {p}notice_outbox ("
    "notification_id TEXT NOT NULL, webhook_id TEXT NOT NULL, body TEXT NOT NULL, "
    "raised_at TEXT NOT NULL, next_attempt_at TEXT, attempts INTEGER NOT NULL, "
    "delivered_at TEXT, given_up_at TEXT, PRIMARY KEY (notification_id, webhook_id))",
    "CREATE INDEX IF NOT EXISTS {n}notice_outbox_due ON {p}notice_outbox (next_attempt_at)",
    "CREATE TABLE IF NOT EXISTS {p}notice_deliveries ("
    "delivery_key TEXT PRIMARY KEY, notification_id TEXT NOT NULL, webhook_id TEXT NOT NULL, "
    "attempt INTEGER NOT NULL, attempted_at TEXT NOT NULL, status INTEGER, ok INTEGER NOT NULL, "
    "error TEXT)",
    "CREATE INDEX IF NOT EXISTS {n}notice_deliveries_notice "
    "ON {p}notice_deliveries (notification_id)",
    "CREATE INDEX IF NOT EXISTS {n}notice_deliveries_hook "
    "ON {p}notice_deliveries (webhook_id, attempted_at)",
)


def credit_schema() -> tuple[str, ...]:
    """The credit report's tables, as copies of this read model's own."""
    return tuple(
        s.replace("{p}credit_", "{p}notice_credit_").replace("{n}credit_", "{n}notice_credit_")
        for s in credit.CreditReport.schema
    )


def recipient_keys(subject: str, roles: Sequence[str]) -> list[str]:
    """The recipient keys a caller reads: their employee id, and each of their roles."""
    return [f"employee:{subject_key(subject)}", *(f"role:{role}" for role in sorted(roles))]


def notice_id(notice: Notice, occurrence: int) -> str:
    return str(uuid5(NOTICE_NAMESPACE, "|".join((*notice.key, str(occurrence)))))


# The Customer events that change a customer's credit figures (others: its name, owner).
CREDIT_EVENTS = (
    Customer.CreditAssessed,
    Customer.CreditHoldPlaced,
    Customer.CreditHoldReleased,
    Customer.GuaranteeRegistered,
    Customer.GuaranteeReleased,
)
# The credit alerts an event brings about; the others come with the days (the tick).
EVENT_CREDIT_ALERTS = frozenset({"over_limit", "near_limit", "credit_hold"})


def event_driven(notice: Notice) -> bool:
    """Whether an event raises the notice in the fold (else only the tick raises it)."""
    return notice.rule == "credit_alert" and notice.level in EVENT_CREDIT_ALERTS


def level_value(rule: str, level: str) -> int | str:
    """A notice's level as the API shows it: the dunning level a number, else the text."""
    return int(level) if rule == "dunning_due" else level


def notice_item(row: Row) -> Row:
    """A notification as `GET /notifications` and the webhooks carry it."""
    return {
        "id": row["id"],
        "rule": row["rule"],
        "subject_type": row["subject_type"],
        "subject_id": row["subject_id"],
        "level": level_value(row["rule"], row["level"]),
        "raised_at": row["raised_at"],
        "cleared_at": row["cleared_at"],
        "facts": json.loads(row["facts"]),
    }


def delivery_item(row: Row) -> Row:
    """One delivery attempt (API.md, Report rows, notifications: `deliveries`)."""
    return {
        "webhook_id": row["webhook_id"],
        "attempt": int(row["attempt"]),
        "attempted_at": row["attempted_at"],
        "status": None if row["status"] is None else int(row["status"]),
        "ok": bool(row["ok"]),
        "error": row["error"],
    }


class Notifications(credit.CreditReport):
    """Notices raised by the rules, their recipients and receipts, outbox and delivery log."""

    name = "notifications"
    table_names = (*credit.KEYS, *FOLDED_TABLES)
    schema = (*credit_schema(), *SCHEMA)  # type: ignore[assignment]  # longer than credit's
    # Dunning levels (days overdue of levels 1-3); the read side sets its settings' ones.
    dunning_days: tuple[int, ...] = DEFAULT_DUNNING_DAYS

    def _init_read_model(self) -> None:
        super()._init_read_model()
        # Set when outbox rows are written, so that the delivery worker looks at once.
        self.outbox_news = threading.Event()
        self._enqueued = False

    def _tracked_up_to(self, tracking: Tracking) -> None:
        super()._tracked_up_to(tracking)
        if self._enqueued:  # told once the outbox rows are committed, not before
            self._enqueued = False
            self.outbox_news.set()

    def table(self, name: str) -> str:
        # The credit report's queries name its tables; here they are this model's copies.
        return super().table(f"notice_{name}" if name in credit.KEYS else name)

    def drop(self) -> None:
        """Drop every table: the folded ones, and the notices and deliveries made of them."""
        with self._transaction(commit=True) as cursor:
            for name in CLOCK_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table(name)}")
        super().drop()

    # Writing.

    def run(self, statements: Sequence[Statement]) -> None:
        """Apply statements with no tracking position (the clock's), in one transaction."""
        if getattr(self._local, "batch", None) is not None:
            self._local.pending.extend(statements)
            return
        with self._transaction(commit=True) as cursor:
            for statement, params in statements:
                cursor.execute(self._sql(statement), list(params))

    @contextmanager
    def folding(self) -> Iterator[None]:
        """One transaction for what follows, unless a batch holds one already."""
        if getattr(self._local, "batch", None) is not None:
            yield
            return
        with self.batch():
            yield

    # The facts of the rules, and the notices they hold.

    def credit_figures(self, day: Any, customer_id: str | None = None) -> list[Row]:
        """The credit report's figures at a day: of one customer, or of all."""
        if customer_id is None:
            rows, after = [], 0
            while True:
                chunk = self.figures(day, after=after, limit=5000)
                rows.extend(chunk)
                if len(chunk) < 5000:
                    return rows
                after = int(chunk[-1]["seq"])
        seqs = self.query(
            f"SELECT seq FROM {self.table('credit_customers')} WHERE customer_id = ?",
            [customer_id],
        )
        if not seqs:
            return []
        rows = self.figures(day, after=int(seqs[0]["seq"]) - 1, limit=1)
        return [row for row in rows if row["customer_id"] == customer_id]

    def owners(self, customer_id: str | None = None) -> dict[str, str]:
        """Customers' owners: of one customer, or of all."""
        statement = f"SELECT customer_id, owner_id FROM {self.table('notice_owners')}"
        params = [] if customer_id is None else [customer_id]
        if customer_id is not None:
            statement += " WHERE customer_id = ?"
        return {row["customer_id"]: row["owner_id"] for row in self.query(statement, params)}

    def invoices(self, contract_id: str | None) -> list[Row]:
        """Invoices with their open amount (cents) and contract owner: one contract's, or
        every one still open."""
        settled = (
            f"SELECT invoice_id, SUM(amount) AS amount FROM {self.table('credit_settlements')} "
            "GROUP BY invoice_id"
        )
        where, params = ("i.contract_id = ?", [contract_id]) if contract_id else ("1 = 1", [])
        rows = self.query(
            "SELECT i.invoice_id, i.contract_id, i.customer_id, i.due_on, c.owner_id, "
            "i.amount - COALESCE(s.amount, 0) AS open "
            f"FROM {self.table('credit_invoices')} i LEFT JOIN ({settled}) s "
            "ON s.invoice_id = i.invoice_id "
            f"LEFT JOIN {self.table('notice_contracts')} c ON c.contract_id = i.contract_id "
            f"WHERE {where}",
            params,
        )
        return rows if contract_id else [row for row in rows if int(row["open"]) > 0]

    def reminders(self, contract_id: str | None) -> dict[str, list[Row]]:
        where, params = ("WHERE contract_id = ?", [contract_id]) if contract_id else ("", [])
        found: dict[str, list[Row]] = {}
        for row in self.query(
            f"SELECT contract_id, level, sent_on FROM {self.table('notice_reminders')} {where}",
            params,
        ):
            found.setdefault(row["contract_id"], []).append(row)
        return found

    def complaints(self, complaint_id: str | None) -> list[Row]:
        table = self.table("notice_complaints")
        if complaint_id is not None:
            return self.query(f"SELECT * FROM {table} WHERE id = ?", [complaint_id])
        return self.query(
            f"SELECT * FROM {table} WHERE responded_at IS NULL OR resolved_at IS NULL"
        )

    def follow_ups(self, customer_id: str | None, day: str) -> list[Row]:
        table = self.table("notice_follow_ups")
        if customer_id is not None:
            return self.query(f"SELECT * FROM {table} WHERE customer_id = ?", [customer_id])
        return self.query(f"SELECT * FROM {table} WHERE next_on = ?", [day])

    def holding(self, family: str, subject: str | None, at: datetime) -> tuple[list[Notice], Any]:
        """The notices of a family that hold at `at` (of one subject, or of every one), and
        the subjects that answer for them (None: every subject)."""
        if family == "credit":
            figures = self.credit_figures(utc_day(at), subject)
            owners = self.owners(subject)
            return credit_notices(figures, owners, at), None if subject is None else [subject]
        if family == "dunning":
            invoices = self.invoices(subject)
            scope = None if subject is None else [row["invoice_id"] for row in invoices]
            return dunning_notices(invoices, self.reminders(subject), self.dunning_days, at), scope
        if family == "sla":
            return sla_notices(self.complaints(subject), at), None if subject is None else [subject]
        day = utc_day(at).isoformat()
        rows = self.follow_ups(subject, day)
        return follow_up_notices(rows, at), None if subject is None else [subject]

    def evaluate(
        self, family: str, subject: str | None, at: datetime, *, tick: bool = True
    ) -> list[Statement]:
        """The statements raising and clearing a family's notices (for a subject) at `at`.

        A tick raises every notice that holds. A fold (`tick=False`) raises only those an
        event brings about (`event_driven`), and clears any that stopped holding: a
        reminder, a payment, a response end a time-driven notice at once, while one that
        time brings about waits for the tick (a log written in a burst, a year back-dated,
        would otherwise raise every invoice overdue between its issue and its payment).
        """
        rules, subject_type = FAMILIES[family]
        if not tick and family != "credit" and not self.any_open(family, subject):
            return []  # the fold only clears these: nothing open, nothing to do
        notices, scope = self.holding(family, subject, at)
        raising = None if tick else event_driven
        return self.reconcile(notices, rules, subject_type, scope, at, raising=raising)

    # Raising and clearing.

    def any_open(self, family: str, subject: str | None) -> bool:
        """Whether a notice of the family is open (for the subject: a contract's invoices
        for dunning)."""
        rules, subject_type = FAMILIES[family]
        notices = self.table("notices")
        statement = (
            f"SELECT 1 FROM {notices} n WHERE n.cleared_at IS NULL AND n.subject_type = ? "
            f"AND n.rule IN ({', '.join('?' for _ in rules)})"
        )
        params: list[Any] = [subject_type, *rules]
        if subject is not None and family == "dunning":
            statement += (
                f" AND n.subject_id IN (SELECT invoice_id FROM {self.table('credit_invoices')} "
                "WHERE contract_id = ?)"
            )
            params.append(subject)
        elif subject is not None:
            statement += " AND n.subject_id = ?"
            params.append(subject)
        return bool(self.query(statement + " LIMIT 1", params))

    def open_notices(
        self, rules: Sequence[str], subject_type: str, subjects: Sequence[str] | None
    ) -> list[Row]:
        marks = ", ".join("?" for _ in rules)
        statement = (
            f"SELECT id, rule, subject_type, subject_id, level FROM {self.table('notices')} "
            f"WHERE cleared_at IS NULL AND subject_type = ? AND rule IN ({marks})"
        )
        params: list[Any] = [subject_type, *rules]
        if subjects is not None:
            if not subjects:
                return []
            statement += f" AND subject_id IN ({', '.join('?' for _ in subjects)})"
            params.extend(subjects)
        return self.query(statement, params)

    def reconcile(
        self,
        notices: Sequence[Notice],
        rules: Sequence[str],
        subject_type: str,
        subjects: Sequence[str] | None,
        at: datetime,
        *,
        raising: Callable[[Notice], bool] | None = None,
    ) -> list[Statement]:
        """Raise the notices not open yet (those `raising` accepts, if given), and clear
        the open ones of the scope that do not hold."""
        holding = {notice.key: notice for notice in notices}
        opened = {
            (r["rule"], r["subject_type"], r["subject_id"], r["level"]): r["id"]
            for r in self.open_notices(rules, subject_type, subjects)
        }
        statements: list[Statement] = []
        moment = iso_utc(at)
        for key, notice in holding.items():
            if key not in opened and (raising is None or raising(notice)):
                statements.extend(self.raised(notice, moment))
        for key, nid in opened.items():
            if key not in holding:
                statements.append(update(self.table("notices"), "id", nid, {"cleared_at": moment}))
        return statements

    def raised(self, notice: Notice, moment: str) -> list[Statement]:
        """A new notice: its row, its recipients, and an outbox row per subscribed webhook."""
        before = self.query(
            f"SELECT COUNT(*) AS n FROM {self.table('notices')} WHERE subject_id = ? "
            "AND rule = ? AND subject_type = ? AND level = ?",
            [notice.subject_id, notice.rule, notice.subject_type, notice.level],
        )
        occurrence = int(before[0]["n"]) + 1
        nid = notice_id(notice, occurrence)
        recipients = [{kind: value} for kind, value in notice.recipients]
        row = {
            "id": nid,
            "rule": notice.rule,
            "subject_type": notice.subject_type,
            "subject_id": notice.subject_id,
            "level": notice.level,
            "occurrence": occurrence,
            "raised_at": moment,
            "cleared_at": None,
            "facts": json.dumps(notice.facts, sort_keys=True),
            "recipients": json.dumps(recipients, sort_keys=True),
        }
        statements: list[Statement] = [
            (insert(self.table("notices"), NOTICE_COLUMNS), [row[c] for c in NOTICE_COLUMNS])
        ]
        for kind, value in notice.recipients:
            key = f"employee:{subject_key(value)}" if kind == "employee" else f"role:{value}"
            statements.append(
                (
                    insert_once(
                        self.table("notice_recipients"),
                        ("notification_id", "recipient"),
                        "notification_id, recipient",
                    ),
                    [nid, key],
                )
            )
        statements.extend(self.enqueued(row, recipients, moment))
        return statements

    def enqueued(self, row: Row, recipients: list[Row], moment: str) -> list[Statement]:
        """An outbox row for each live webhook subscribed to the notice's rule."""
        hooks = [
            hook
            for hook in self.query(
                f"SELECT id, rules FROM {self.table('notice_webhooks')} WHERE deleted_at IS NULL"
            )
            if row["rule"] in json.loads(hook["rules"])
        ]
        if not hooks:
            return []
        body = json.dumps(
            {**notice_item(row), "recipients": recipients}, sort_keys=True, separators=(",", ":")
        )
        statement = insert_once(
            self.table("notice_outbox"), OUTBOX_COLUMNS, "notification_id, webhook_id"
        )
        self._enqueued = True
        return [
            (statement, [row["id"], hook["id"], body, moment, moment, 0, None, None])
            for hook in hooks
        ]

    # Reading: the inbox, the webhooks and their deliveries.

    def inbox(
        self,
        recipients: Sequence[str],
        reader: str,
        *,
        rule: str | None = None,
        unread: bool | None = None,
        raised_from: str | None = None,
        raised_before: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Row]:
        """The notices of any of these recipient keys, newest first, with the reader's receipt."""
        marks = ", ".join("?" for _ in recipients)
        where = [
            f"EXISTS (SELECT 1 FROM {self.table('notice_recipients')} x "
            f"WHERE x.notification_id = n.id AND x.recipient IN ({marks}))"
        ]
        params: list[Any] = [subject_key(reader), *recipients]
        for clause, value in (
            ("n.rule = ?", rule),
            ("n.raised_at >= ?", raised_from),
            ("n.raised_at < ?", raised_before),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        if unread is not None:
            where.append("r.read_at IS NULL" if unread else "r.read_at IS NOT NULL")
        rows = self.query(
            f"SELECT n.*, r.read_at, r.acknowledged_at FROM {self.table('notices')} n "
            f"LEFT JOIN {self.table('notice_receipts')} r "
            "ON r.notification_id = n.id AND r.reader = ? "
            f"WHERE {' AND '.join(where)} ORDER BY n.raised_at DESC, n.id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        deliveries = self.deliveries([row["id"] for row in rows])
        return [
            {
                **notice_item(row),
                "read": row["read_at"] is not None,
                "acknowledged": row["acknowledged_at"] is not None,
                "deliveries": deliveries.get(row["id"], []),
            }
            for row in rows
        ]

    def addressed(self, notification_id: str, recipients: Sequence[str]) -> bool:
        """True when the notice is addressed to any of the recipient keys."""
        marks = ", ".join("?" for _ in recipients)
        return bool(
            self.query(
                f"SELECT 1 FROM {self.table('notice_recipients')} WHERE notification_id = ? "
                f"AND recipient IN ({marks})",
                [notification_id, *recipients],
            )
        )

    def deliveries(self, notification_ids: Sequence[str]) -> dict[str, list[Row]]:
        """The delivery attempts of some notices, oldest first, by notice."""
        if not notification_ids:
            return {}
        marks = ", ".join("?" for _ in notification_ids)
        found: dict[str, list[Row]] = {}
        for row in self.query(
            f"SELECT * FROM {self.table('notice_deliveries')} "
            f"WHERE notification_id IN ({marks}) ORDER BY attempted_at, delivery_key",
            list(notification_ids),
        ):
            found.setdefault(row["notification_id"], []).append(delivery_item(row))
        return found

    def webhooks(self, *, limit: int = 50, offset: int = 0, log: int = 100) -> list[Row]:
        """Subscriptions in the order made, each with its latest `log` delivery attempts."""
        hooks = self.query(
            f"SELECT * FROM {self.table('notice_webhooks')} ORDER BY subscribed_at, id "
            "LIMIT ? OFFSET ?",
            [limit, offset],
        )
        items = []
        for hook in hooks:
            attempts = self.query(
                f"SELECT * FROM {self.table('notice_deliveries')} WHERE webhook_id = ? "
                "ORDER BY attempted_at DESC, delivery_key DESC LIMIT ?",
                [hook["id"], log],
            )
            pending = self.query(
                f"SELECT COUNT(*) AS n FROM {self.table('notice_outbox')} WHERE webhook_id = ? "
                "AND delivered_at IS NULL AND given_up_at IS NULL",
                [hook["id"]],
            )
            items.append(
                {
                    "id": hook["id"],
                    "url": hook["url"],
                    "rules": json.loads(hook["rules"]),
                    "subscribed_at": hook["subscribed_at"],
                    "deleted_at": hook["deleted_at"],
                    "pending": int(pending[0]["n"]),
                    "deliveries": [
                        {**delivery_item(row), "notification_id": row["notification_id"]}
                        for row in reversed(attempts)
                    ],
                }
            )
        return items

    def delivery_outcomes(self) -> dict[str, int]:
        """Delivery attempts by outcome (`delivered`, `failed`), and outbox rows `pending`
        and `given_up`: the figures of `/metrics`."""
        rows = self.query(
            f"SELECT ok, COUNT(*) AS n FROM {self.table('notice_deliveries')} GROUP BY ok"
        )
        found = {"delivered": 0, "failed": 0}
        for row in rows:
            found["delivered" if int(row["ok"]) else "failed"] += int(row["n"])
        outbox = self.query(
            "SELECT SUM(CASE WHEN delivered_at IS NULL AND given_up_at IS NULL THEN 1 ELSE 0 END) "
            "AS pending, SUM(CASE WHEN given_up_at IS NOT NULL THEN 1 ELSE 0 END) AS given_up "
            f"FROM {self.table('notice_outbox')}"
        )[0]
        found["pending"] = int(outbox["pending"] or 0)
        found["given_up"] = int(outbox["given_up"] or 0)
        return found

    # The facts of the events.

    def upsert_row(self, table: str, row: Row, key: str) -> Statement:
        return upsert(self.table(table), list(row), key), list(row.values())

    def set_row(self, table: str, key: str, key_value: str, values: Row) -> Statement:
        return update(self.table(table), key, key_value, values)

    def one(self, table: str, key: str, value: str) -> Row | None:
        rows = self.query(f"SELECT * FROM {self.table(table)} WHERE {key} = ?", [value])
        return rows[0] if rows else None


def complaint_facts(view: Notifications, event: Any) -> list[Statement]:
    """The SLA clock of a complaint after one of its events."""
    cid = str(event.originator_id)
    at = iso_utc(event.occurred_at)
    match event:
        case Complaint.Received():
            row = {
                "id": cid,
                "assignee_id": None,
                "received_at": at,
                "respond_by": iso_utc(event.respond_by),
                "resolve_by": iso_utc(event.resolve_by),
                "responded_at": None,
                "resolved_at": None,
                "closed_at": None,
            }
            return [view.upsert_row("notice_complaints", row, "id")]
        case Complaint.Assigned():
            changes: Row = {"assignee_id": event.assignee_id}
        case Complaint.Responded():
            changes = {"responded_at": at}
        case Complaint.Resolved():
            changes = {"resolved_at": at}
        case Complaint.Closed():
            changes = {"closed_at": at}
        case Complaint.Reopened():
            changes = {"resolved_at": None, "closed_at": None}
        case _:
            return []
    return [view.set_row("notice_complaints", "id", cid, changes)]


def customer_facts(view: Notifications, event: Any, position: int) -> list[Statement]:
    """Owners and next follow-ups of a customer, and its credit facts."""
    cid = str(event.originator_id)
    statements = view.statements(credit.fold(event, position))
    match event:
        case Customer.Registered():
            statements.append(
                view.upsert_row(
                    "notice_owners", {"customer_id": cid, "owner_id": event.owner_id}, "customer_id"
                )
            )
        case Customer.OwnerAssigned():
            owner = {"owner_id": event.owner_id}
            statements.append(view.set_row("notice_owners", "customer_id", cid, owner))
            statements.append(view.set_row("notice_follow_ups", "customer_id", cid, owner))
        case Customer.FollowUpRecorded():
            statements.extend(followed_up(view, event, cid))
    return statements


def followed_up(view: Notifications, event: Customer.FollowUpRecorded, cid: str) -> list[Statement]:
    """The customer's next follow-up, unless a later follow-up is recorded already."""
    at = iso_utc(event.occurred_at)
    known = view.one("notice_follow_ups", "customer_id", cid)
    if known is not None and known["last_at"] is not None and at < known["last_at"]:
        return []
    owner = view.one("notice_owners", "customer_id", cid)
    row = {
        "customer_id": cid,
        "owner_id": None if owner is None else owner["owner_id"],
        "next_on": None if event.next_follow_up_on is None else event.next_follow_up_on.isoformat(),
        "last_at": at,
    }
    return [view.upsert_row("notice_follow_ups", row, "customer_id")]


def contract_facts(
    view: Notifications, event: Any, position: int
) -> tuple[list[Statement], str | None]:
    """A contract's owner, reminders and credit facts; and its customer when its money moved."""
    kid = str(event.originator_id)
    match event:
        case Contract.Drafted():
            row: Row = {
                "contract_id": kid,
                "customer_id": str(event.customer_id),
                "owner_id": event.owner_id,
            }
            return [view.upsert_row("notice_contracts", row, "contract_id")], None
        case Contract.Amended() if event.changes.get("owner_id"):
            owner = {"owner_id": event.changes["owner_id"]}
            return [view.set_row("notice_contracts", "contract_id", kid, owner)], None
        case Contract.ReminderSent():
            row = {
                "position": position,
                "contract_id": kid,
                "level": event.level,
                "sent_on": utc_day(event.occurred_at).isoformat(),
            }
            return [view.upsert_row("notice_reminders", row, "position")], None
        case Contract.Signed():
            return view.statements(credit.fold(event, position)), str(event.customer_id)
    signed = view.contract(kid)
    if signed is None:
        return [], None
    changes = credit.fold(event, position, signed)
    return view.statements(changes), signed["customer_id"] if changes else None


def hook_facts(view: Notifications, event: Any) -> list[Statement]:
    """Webhook subscriptions, and what readers did with their notices."""
    at = iso_utc(event.timestamp)
    match event:
        case Webhook.Subscribed():
            row = {
                "id": str(event.originator_id),
                "url": event.url,
                "secret": event.secret,
                "rules": json.dumps(list(event.rules)),
                "subscribed_at": at,
                "deleted_at": None,
            }
            return [view.upsert_row("notice_webhooks", row, "id")]
        case Webhook.Deleted():
            return [
                view.set_row("notice_webhooks", "id", str(event.originator_id), {"deleted_at": at})
            ]
    return []


class NotificationProjection(Projection[Notifications]):
    """Folds the facts of the rules, raising and clearing notices as the events arrive."""

    name = "notifications"
    folded_events = (
        Customer.Event,
        Contract.Event,
        Complaint.Event,
        Webhook.Event,
        NotificationReceipt.Event,
    )

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements, families = self.facts(domain_event, tracking.notification_id)
        if not statements and not families:
            self.view.insert_tracking(tracking)
            return
        with self.view.folding():
            self.view.write(statements, tracking)
            raised: list[Statement] = []
            for family, subject in families:
                at = domain_event.timestamp
                raised.extend(self.view.evaluate(family, subject, at, tick=False))
            self.view.write(raised, tracking)

    def facts(self, event: Any, position: int) -> tuple[list[Statement], list[tuple[str, str]]]:
        """The rows an event changes, and the (family, subject) whose rules it may change."""
        view = self.view
        match event:
            case Customer.Event():
                statements = customer_facts(view, event, position)
                cid = str(event.originator_id)
                changes_credit = statements and isinstance(event, CREDIT_EVENTS)
                families = [("credit", cid)] if changes_credit else []
                if isinstance(event, Customer.FollowUpRecorded):
                    families.append(("follow_up", cid))
                return statements, families
            case Contract.Event():
                statements, customer = contract_facts(view, event, position)
                families = [] if customer is None else [("credit", customer)]
                if customer is not None or isinstance(event, Contract.ReminderSent):
                    families.append(("dunning", str(event.originator_id)))
                return statements, families
            case Complaint.Event():
                statements = complaint_facts(view, event)
                return statements, [("sla", str(event.originator_id))] if statements else []
            case Webhook.Event():
                return hook_facts(view, event), []
            case NotificationReceipt.Event():
                return [self.receipt(event)], []
        return [], []

    def receipt(self, event: Any) -> Statement:
        """A reader's receipt: opened, read, and acknowledged (which reads it too)."""
        view, rid, at = self.view, str(event.originator_id), iso_utc(event.timestamp)
        if isinstance(event, NotificationReceipt.Opened):
            row = {
                "receipt_id": rid,
                "notification_id": str(event.notification_id),
                "reader": subject_key(event.reader),
                "read_at": None,
                "acknowledged_at": None,
            }
            return view.upsert_row("notice_receipts", row, "receipt_id")
        if isinstance(event, NotificationReceipt.Read):
            return view.set_row("notice_receipts", "receipt_id", rid, {"read_at": at})
        known = view.one("notice_receipts", "receipt_id", rid) or {}
        changes = {"read_at": known.get("read_at") or at, "acknowledged_at": at}
        return view.set_row("notice_receipts", "receipt_id", rid, changes)
