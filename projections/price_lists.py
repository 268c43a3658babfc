"""The price-list directory behind `GET /price-lists`: a row per list, a row per price.

`price_lists` holds each list's window, status and the number of its active prices;
`price_list_prices` each sku a list prices (active or retired), so that the directory
can answer which lists price a sku. Each event writes only the rows it changes.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.price_list import PriceList
from projections.events import iso_utc
from projections.rows import (
    NAME_LIKE,
    Row,
    created_stamps,
    directory_page,
    insert_once,
    name_pattern,
    named,
    stamp_columns,
    update,
)
from projections.store import ReadModel, Statement

LIST_COLUMNS = (
    "id",
    "name",
    "name_key",
    "status",
    "currency",
    "valid_from",
    "valid_to",
    *stamp_columns("created"),
)


class PriceListDirectory(ReadModel):
    """Price lists with the fields `GET /price-lists` filters and shows."""

    name = "price_lists"
    table_names = ("price_lists", "price_list_prices")
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}price_lists ("
        "id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL, "
        "status TEXT NOT NULL, currency TEXT NOT NULL, valid_from TEXT NOT NULL, "
        "valid_to TEXT, price_count INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, created_position BIGINT NOT NULL, "
        "updated_at TEXT NOT NULL, published_at TEXT)",
        "CREATE INDEX IF NOT EXISTS {n}price_lists_position ON {p}price_lists (created_position)",
        # The key `list id|sku` comes first: verify keys a table's rows by the first column.
        "CREATE TABLE IF NOT EXISTS {p}price_list_prices ("
        "price_key TEXT PRIMARY KEY, price_list_id TEXT NOT NULL, sku TEXT NOT NULL, "
        "unit_price TEXT NOT NULL, floor_price TEXT, status TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}price_list_prices_sku ON {p}price_list_prices (sku, status)",
    )

    def _touch(self, event: Any, **changes: Any) -> Statement:
        """Update a list's row: version and time, plus the changes given."""
        values = {"version": event.originator_version, "updated_at": iso_utc(event.timestamp)}
        return update(self.table("price_lists"), "id", str(event.originator_id), values | changes)

    def _recount(self, list_id: str) -> Statement:
        prices = self.table("price_list_prices")
        return (
            f"UPDATE {self.table('price_lists')} SET price_count = "
            f"(SELECT COUNT(*) FROM {prices} WHERE price_list_id = ? AND status = 'active') "
            "WHERE id = ?",
            [list_id, list_id],
        )

    def created(self, event: PriceList.Created, position: int, tracking: Tracking) -> None:
        row = {
            "id": str(event.originator_id),
            **named(event.name),
            "status": "draft",
            "currency": event.currency,
            "valid_from": event.valid_from.isoformat(),
            "valid_to": event.valid_to.isoformat() if event.valid_to else None,
            **created_stamps(event, position, "created"),
        }
        self.write(
            [
                (
                    insert_once(self.table("price_lists"), LIST_COLUMNS),
                    [row[c] for c in LIST_COLUMNS],
                )
            ],
            tracking,
        )

    def price_set(self, event: PriceList.PriceSet, tracking: Tracking) -> None:
        list_id = str(event.originator_id)
        floor = None if event.floor_price is None else str(event.floor_price)
        self.write(
            [
                (
                    f"INSERT INTO {self.table('price_list_prices')} "
                    "(price_key, price_list_id, sku, unit_price, floor_price, status) "
                    "VALUES (?, ?, ?, ?, ?, 'active') ON CONFLICT (price_key) DO UPDATE "
                    "SET unit_price = excluded.unit_price, floor_price = excluded.floor_price, "
                    "status = excluded.status",
                    [f"{list_id}|{event.sku}", list_id, event.sku, str(event.unit_price), floor],
                ),
                self._touch(event),
                self._recount(list_id),
            ],
            tracking,
        )

    def price_retired(self, event: PriceList.PriceRetired, tracking: Tracking) -> None:
        list_id = str(event.originator_id)
        self.write(
            [
                (
                    f"UPDATE {self.table('price_list_prices')} SET status = 'retired' "
                    "WHERE price_key = ?",
                    [f"{list_id}|{event.sku}"],
                ),
                self._touch(event),
                self._recount(list_id),
            ],
            tracking,
        )

    def published(self, event: PriceList.Published, tracking: Tracking) -> None:
        self.write(
            [self._touch(event, status="published", published_at=iso_utc(event.timestamp))],
            tracking,
        )

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        sku: str | None = None,
        active_on: str | None = None,
        q: str | None = None,
    ) -> list[Row]:
        """Lists matching every filter given, in the order they were created.

        `sku`: lists with an active price for it; `active_on` (a date): published lists
        whose window holds that day.
        """
        prices = self.table("price_list_prices")
        return directory_page(
            self,
            "price_lists",
            "created_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                (
                    f"id IN (SELECT price_list_id FROM {prices} "
                    "WHERE sku = ? AND status = 'active')",
                    sku,
                ),
                ("status = ?", "published" if active_on else None),
                ("valid_from <= ?", active_on),
                ("COALESCE(valid_to, '9999-12-31') >= ?", active_on),
                (NAME_LIKE, name_pattern(q)),
            ),
        )


class PriceListProjection(Projection[PriceListDirectory]):
    """Folds PriceList events into the directory; tracks every other event too."""

    name = "price_lists"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (PriceList.Event,)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        match domain_event:
            case PriceList.Created():
                self.view.created(domain_event, tracking.notification_id, tracking)
            case PriceList.PriceSet():
                self.view.price_set(domain_event, tracking)
            case PriceList.PriceRetired():
                self.view.price_retired(domain_event, tracking)
            case PriceList.Published():
                self.view.published(domain_event, tracking)
            case _:
                self.view.insert_tracking(tracking)
