"""The clock of the notifications: the tick of the time-driven rules, and webhook deliveries.

Runs with the read side, in the process that holds its lease (projections/leadership.py),
so once per deployment however many processes run; it starts when the lease is taken
and stops when it is lost (projections/runner.py).

- **Tick** (every `MOPS_TICK_SECONDS`): every rule evaluated for every subject at the
  tick's moment, a family of rules at a time, each in a transaction of its own while
  the notifications fold waits (its lane's lock; see `tick`): overdue invoices and
  their dunning levels, SLA clocks, follow-ups due today, credit alerts that come with
  the day (overdue buckets, expiring guarantees and assessments). Raising is keyed by
  (rule, subject, level), so a tick run twice raises nothing twice. `budget_line_90`
  and `risk_warning` are evaluated here alone, from the budget execution and risk
  reports read through their views' queries, as the risk report reads them: the
  condition of a budget line crossing 0.9, and of an early-warning indicator turning
  on, are what those reports answer at the moment.
- **Deliveries**: every outbox row due is POSTed to its webhook, body as stored when the
  notice was raised, `X-Mops-Delivery: <notification id>`, `X-Mops-Signature:
  sha256=<HMAC-SHA256 of the body with the webhook's secret>`. A 2xx answer delivers it;
  anything else (another status, no answer within the timeout) is logged and tried
  again after `MOPS_WEBHOOK_RETRY_SECONDS` (10), doubling up to
  `MOPS_WEBHOOK_RETRY_MAX_SECONDS` (3600), until `MOPS_WEBHOOK_RETRY_FOR_SECONDS`
  (86400) after the notice was raised: then it is given up. Every attempt is a row of
  the delivery log. The outbox is a table: a restart, or another process taking the
  lease, goes on with what was pending. At least once: an attempt whose answer came but
  whose log row was lost to a crash is made again; receivers dedupe by the id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from projections.events import iso_utc
from projections.notice_rules import DEFAULT_DUNNING_DAYS, Notice, to
from projections.notifications import FAMILIES, Notifications
from projections.rows import insert
from projections.store import Statement
from projections.warnings import early_warnings

logger = logging.getLogger(__name__)

Views = Callable[[str], Any]
Post = Callable[[str, bytes, dict[str, str], float], int]
DELIVERY_COLUMNS = (
    "delivery_key",
    "notification_id",
    "webhook_id",
    "attempt",
    "attempted_at",
    "status",
    "ok",
    "error",
)


@dataclass(frozen=True)
class NoticeSettings:
    """The settings of the clock (API.md, Settings; the retry ones are mops's own)."""

    tick_seconds: float = 60.0
    dunning_days: tuple[int, ...] = DEFAULT_DUNNING_DAYS
    retry_seconds: float = 10.0
    retry_max_seconds: float = 3600.0
    retry_for_seconds: float = 86400.0
    timeout_seconds: float = 5.0
    risk_thresholds: Mapping[str, Decimal] = field(default_factory=dict)

    def backoff(self, attempt: int) -> timedelta:
        """The pause after the `attempt`-th failed attempt: doubling, capped."""
        return timedelta(
            seconds=min(self.retry_seconds * 2 ** (attempt - 1), self.retry_max_seconds)
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


# The tick.


def budget_notices(views: Views, at: datetime) -> list[Notice]:
    """`budget_line_90` for every line of an approved budget used to 0.9 or more at `at`."""
    budgets = views("budget_execution")
    found = []
    for budget in budgets.search(limit=1000, status="approved"):
        report = budgets.report(str(budget["id"]), at)
        for line in (report or {}).get("lines", []):
            use = line.get("utilisation")
            if use is None or Decimal(str(use)) < Decimal("0.9"):
                continue
            subject = f"{budget['id']}/{line['category']}/{line['period']}"
            found.append(
                Notice(
                    "budget_line_90",
                    "budget_line",
                    subject,
                    "0.9",
                    {"budget_id": str(budget["id"]), **{k: line[k] for k in sorted(line)}},
                    to(None, "finance", "executive"),
                )
            )
    return found


def risk_notices(views: Views, at: datetime, thresholds: Mapping[str, Decimal]) -> list[Notice]:
    """`risk_warning` for every early-warning indicator on at `at`, to the owners of the
    open risks of its category and executive."""

    class Side:
        view = staticmethod(views)

    register = views("risks").report(at)["register"]
    found = []
    for indicator in early_warnings(Side(), at, thresholds):
        if not indicator["warning"]:
            continue
        owners = sorted(
            {
                r["owner_id"]
                for r in register
                if r["category"] == indicator["category"] and r["status"] != "closed"
            }
        )
        recipients = (*(("employee", o) for o in owners if o), ("role", "executive"))
        found.append(
            Notice(
                "risk_warning",
                "indicator",
                indicator["name"],
                "warning",
                {k: indicator[k] for k in ("name", "category", "value", "threshold")},
                tuple(recipients),
            )
        )
    return found


def tick(
    view: Notifications,
    at: datetime,
    *,
    views: Views | None = None,
    thresholds: Mapping[str, Decimal] | None = None,
    lock: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> int:
    """Evaluate every rule for every subject at `at`; answers how many statements it wrote
    (0: nothing was raised or cleared).

    Each family of rules is evaluated and written in a transaction of its own, holding
    `lock` (the notifications lane's: no fold of an event interleaves with it) for that
    family only. The shared subscription folds every read model in turn, so while the
    tick holds the lane the next events of every read model wait: one family at a time
    keeps that wait to the longest family's evaluation. The budget and risk reports are
    read before, outside the lock.
    """
    steps = [partial(view.evaluate, family, None, at) for family in FAMILIES]
    if views is not None:
        budget = budget_notices(views, at)
        risk = risk_notices(views, at, thresholds or {})
        steps.append(partial(view.reconcile, budget, ("budget_line_90",), "budget_line", None, at))
        steps.append(partial(view.reconcile, risk, ("risk_warning",), "indicator", None, at))
    written = 0
    for step in steps:
        with lock(), view.batch():
            statements: list[Statement] = step()
            view.run(statements)
        written += len(statements)
    return written


# Deliveries.


def signature(secret: str, body: bytes) -> str:
    """`X-Mops-Signature`: sha256= and the lower-case hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST the body; the answer's status (raises OSError when no answer came)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as answer:
        return int(answer.code)


def due_outbox(view: Notifications, at: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Outbox rows due at `at`, with their webhook's URL and secret, the earliest first."""
    return view.query(
        "SELECT o.*, w.url, w.secret, w.deleted_at FROM "
        f"{view.table('notice_outbox')} o JOIN {view.table('notice_webhooks')} w "
        "ON w.id = o.webhook_id WHERE o.delivered_at IS NULL AND o.given_up_at IS NULL "
        "AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at LIMIT ?",
        [iso_utc(at), limit],
    )


def attempt(
    row: dict[str, Any], settings: NoticeSettings, send: Post
) -> tuple[int | None, str | None]:
    """One attempt at a delivery: (status, error)."""
    body = row["body"].encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mops-webhooks",
        "X-Mops-Delivery": row["notification_id"],
        "X-Mops-Signature": signature(row["secret"], body),
    }
    try:
        return send(row["url"], body, headers, settings.timeout_seconds), None
    except (OSError, ValueError) as error:
        return None, repr(error)[:500]


def deliver(
    view: Notifications,
    row: dict[str, Any],
    settings: NoticeSettings,
    clock: Callable[[], datetime],
    send: Post,
) -> bool:
    """Attempt one outbox row, log the attempt, and deliver or reschedule it."""
    key = {"notification_id": row["notification_id"], "webhook_id": row["webhook_id"]}
    outbox = view.table("notice_outbox")
    where = "notification_id = ? AND webhook_id = ?"
    if row["deleted_at"] is not None:
        view.run(
            [
                (
                    f"UPDATE {outbox} SET given_up_at = ? WHERE {where}",
                    [iso_utc(clock()), *key.values()],
                )
            ]
        )
        return False
    status, error = attempt(row, settings, send)
    at = clock()
    ok = status is not None and 200 <= status < 300
    number = int(row["attempts"]) + 1
    logged = {
        "delivery_key": f"{row['notification_id']}|{row['webhook_id']}|{number:05d}",
        **key,
        "attempt": number,
        "attempted_at": iso_utc(at),
        "status": status,
        "ok": 1 if ok else 0,
        "error": error if error else (None if ok else f"HTTP {status}"),
    }
    changes: dict[str, Any] = {"attempts": number}
    if ok:
        changes["delivered_at"] = iso_utc(at)
    else:
        retry = at + settings.backoff(number)
        raised = datetime.fromisoformat(row["raised_at"])
        if retry > raised + timedelta(seconds=settings.retry_for_seconds):
            changes["given_up_at"] = iso_utc(at)
        else:
            changes["next_attempt_at"] = iso_utc(retry)
    sets = ", ".join(f"{column} = ?" for column in changes)
    statements: list[Statement] = [
        (
            insert(view.table("notice_deliveries"), DELIVERY_COLUMNS),
            [logged[c] for c in DELIVERY_COLUMNS],
        ),
        (f"UPDATE {outbox} SET {sets} WHERE {where}", [*changes.values(), *key.values()]),
    ]
    view.run(statements)
    return ok


def deliver_due(
    view: Notifications,
    settings: NoticeSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    send: Post = post,
) -> int:
    """Attempt every outbox row due now; answers how many were attempted."""
    rows = due_outbox(view, clock())
    for row in rows:
        deliver(view, row, settings, clock, send)
    return len(rows)


class NoticeClock:
    """The tick and the delivery worker, in one thread, while this process leads."""

    def __init__(
        self,
        view: Notifications,
        settings: NoticeSettings,
        *,
        lock: Callable[[], AbstractContextManager[Any]] = nullcontext,
        views: Views | None = None,
        clock: Callable[[], datetime] = utc_now,
        send: Post = post,
        poll_seconds: float = 0.5,
    ) -> None:
        self.view, self.settings, self.lock, self.views = view, settings, lock, views
        self.clock, self.send, self.poll_seconds = clock, send, poll_seconds
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notice-clock", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _tick(self) -> None:
        thresholds = self.settings.risk_thresholds
        tick(self.view, self.clock(), views=self.views, thresholds=thresholds, lock=self.lock)
        self.ticks += 1

    def _run(self) -> None:
        # The first tick one period after the start: a restart does not tick at once.
        next_tick = datetime.now(UTC).timestamp() + self.settings.tick_seconds
        while not self._stop.is_set():
            try:
                now = datetime.now(UTC).timestamp()
                if now >= next_tick:
                    next_tick = now + self.settings.tick_seconds
                    self._tick()
                while deliver_due(self.view, self.settings, clock=self.clock, send=self.send):
                    if self._stop.is_set():
                        return
            except Exception as error:
                logger.error("notifications clock failed: %r; trying again", error)
                self._stop.wait(1.0)
                continue
            pause = min(self.poll_seconds, max(next_tick - datetime.now(UTC).timestamp(), 0.0))
            if self.view.outbox_news.wait(pause):
                self.view.outbox_news.clear()

    def stop(self) -> None:
        self._stop.set()
        self.view.outbox_news.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)
