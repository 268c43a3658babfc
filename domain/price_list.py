"""PriceList: the company's list prices per sku and validity window, and their floors.

Rulebook: 價格策略, 價格體系. DOMAIN.md, PriceList.

Decisions where DOMAIN.md is silent:

- A validity window is `valid_from` to `valid_to`, both days included; without
  `valid_to` the list runs open-ended. A list ending on the 30th and one starting on
  the 1st touch and do not overlap; a list ending on the 1st and one starting on the
  1st overlap on that day.
- Window dates look ahead, so they are free of the back-dating window; `valid_to`
  may not lie before `valid_from` (`validation_error`). The name is required.
- Prices are positive money; a floor price is positive money and not above the unit
  price (`validation_error`). A list prices a sku once: setting a price again replaces
  it (and its floor; a price set without a floor has none).
- A list without a priced (active) sku cannot be published: `validation_error` on
  `prices`, as a contract without lines cannot be submitted.
- Publishing is once (`draft --Publish--> published`; publishing again is
  `invalid_state`). A published list stays changeable: SetPrice and RetirePrice on a
  published list take effect at once for its window (a price for a new sku is
  checked for overlap like a publish). Otherwise a price error on the list in force
  could only be fixed by a new list, which the overlap rule forbids for that window.
  Contracts already submitted keep the list prices recorded in their own event.
- Retiring a sku the list does not price is `not_found` (the sku is in the path);
  retiring one already retired is `invalid_state`. A retired sku stays on the list
  (status `retired`) for the record; setting its price again makes it active.
- The overlap rule must hold under races. Each sku has a key aggregate,
  `SkuPriceWindows`, whose id derives from the sku (uuid5) and which holds the
  published windows of that sku (list id, valid_from, valid_to, unit price, floor).
  Publish, and SetPrice/RetirePrice on a published list, change the keys of the skus
  concerned in the same `save()` as the list's event: two racing publishes for one
  sku conflict on the key's version, and the retry decides again and is refused
  `price_list_overlap` (carrying `existing_id`, the other list's id).
- The currency is the deployment's, stamped into the list when it is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import MopsAggregate
from domain.errors import (
    FieldError,
    InvalidState,
    NotFound,
    PriceListOverlap,
    ValidationFailed,
)
from domain.values import Cause, money, required_text

RATIO = Decimal("0.0001")


class PriceListStatus(StrEnum):
    """Where a price list stands: a draft, or published (in force for its window)."""

    DRAFT = "draft"
    PUBLISHED = "published"


class PriceStatus(StrEnum):
    """Whether a list still prices a sku."""

    ACTIVE = "active"
    RETIRED = "retired"


@dataclass(frozen=True)
class ListPrice:
    """The list price of a sku on a day: which published list sets it, and its floor."""

    price_list_id: UUID
    sku: str
    unit_price: Decimal
    floor_price: Decimal | None


class Price(TypedDict):
    """The price of a sku on a list, and whether the list still prices it."""

    sku: str
    unit_price: Decimal
    floor_price: Decimal | None
    status: str


class PriceWindow(TypedDict):
    """A published list's window and price for one sku."""

    price_list_id: UUID
    valid_from: date
    valid_to: date | None
    unit_price: Decimal
    floor_price: Decimal | None


def _sku(value: str | None) -> str:
    return required_text(value, "sku", 100)


def _positive(value: Decimal | int | str, field: str) -> Decimal:
    amount = money(value, field)
    if amount <= 0:
        raise ValidationFailed.of(field, "must be greater than zero")
    return amount


def _window(valid_from: date, valid_to: date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed.of("valid_to", "may not lie before valid_from")


def windows_overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    """True when two windows, both days included, share a day; None is open-ended."""
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


def discount_of(list_price: Decimal, unit_price: Decimal) -> Decimal:
    """(list - unit price) / list, exact; negative when sold above the list."""
    return (list_price - unit_price) / list_price


def percent(ratio: Decimal) -> str:
    """A ratio as a percentage with two places: 0.125 -> '12.50%'."""
    return f"{(ratio * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def rounded_ratio(ratio: Decimal) -> Decimal:
    """A ratio rounded to four places, as events and reports carry it."""
    return ratio.quantize(RATIO, rounding=ROUND_HALF_UP)


def discount_limit_of(
    roles: frozenset[str], limits: Mapping[str, Decimal]
) -> tuple[Decimal, str | None]:
    """A submitter's discount limit: the highest among their roles, and that role.

    Without any role in the setting (an admin) the limit is 0 and the role None.
    """
    held = [(limit, role) for role, limit in limits.items() if role in roles]
    if not held:
        return Decimal("0"), None
    return max(held, key=lambda pair: (pair[0], pair[1]))


SKU_NAMESPACE = uuid5(NAMESPACE_URL, "mops:price-list-sku")


class SkuPriceWindows(MopsAggregate):
    """The published windows of one sku across all price lists: the overlap key.

    Its id derives from the sku, so two lists publishing the sku write the same
    aggregate and the event store lets only one of them win.
    """

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        sku: str
        # By price list id (as text).
        windows: dict[str, PriceWindow]

    class Opened(MopsAggregate.Created):
        sku: str

        def apply(self, key: SkuPriceWindows) -> None:
            key.sku = self.sku
            key.windows = {}

    class WindowPublished(MopsAggregate.Event):
        price_list_id: UUID
        valid_from: date
        valid_to: date | None
        unit_price: Decimal
        floor_price: Decimal | None

        def apply(self, key: SkuPriceWindows) -> None:
            key.windows = {
                **key.windows,
                str(self.price_list_id): {
                    "price_list_id": self.price_list_id,
                    "valid_from": self.valid_from,
                    "valid_to": self.valid_to,
                    "unit_price": self.unit_price,
                    "floor_price": self.floor_price,
                },
            }

    class WindowWithdrawn(MopsAggregate.Event):
        price_list_id: UUID

        def apply(self, key: SkuPriceWindows) -> None:
            key.windows = {k: w for k, w in key.windows.items() if k != str(self.price_list_id)}

    @staticmethod
    def id_for(sku: str) -> UUID:
        """The aggregate id of a sku's key."""
        return uuid5(SKU_NAMESPACE, sku)

    @classmethod
    def of(cls, cause: Cause, sku: str, held: SkuPriceWindows | None) -> SkuPriceWindows:
        """The key of a sku: the one held, or a new one."""
        if held is not None:
            return held
        return cls._start(cls.Opened, cause, id=cls.id_for(sku), sku=sku)

    def publish(
        self,
        cause: Cause,
        *,
        price_list_id: UUID,
        valid_from: date,
        valid_to: date | None,
        unit_price: Decimal,
        floor_price: Decimal | None,
    ) -> None:
        """Publish (or reprice) a list's window; no other list's window may overlap it."""
        for other in self.windows.values():
            if other["price_list_id"] == price_list_id:
                continue
            if windows_overlap(valid_from, valid_to, other["valid_from"], other["valid_to"]):
                raise PriceListOverlap(
                    f"price list {other['price_list_id']} already prices {self.sku} "
                    f"from {other['valid_from']} to {other['valid_to'] or 'open end'}",
                    existing_id=str(other["price_list_id"]),
                    sku=self.sku,
                    valid_from=other["valid_from"].isoformat(),
                    valid_to=other["valid_to"].isoformat() if other["valid_to"] else None,
                )
        self._record(
            self.WindowPublished,
            cause,
            price_list_id=price_list_id,
            valid_from=valid_from,
            valid_to=valid_to,
            unit_price=unit_price,
            floor_price=floor_price,
        )

    def withdraw(self, cause: Cause, price_list_id: UUID) -> None:
        """A list no longer prices the sku."""
        if str(price_list_id) in self.windows:
            self._record(self.WindowWithdrawn, cause, price_list_id=price_list_id)

    def price_on(self, on: date) -> ListPrice | None:
        """The list price in force on a day, or None."""
        for window in self.windows.values():
            if windows_overlap(window["valid_from"], window["valid_to"], on, on):
                return ListPrice(
                    price_list_id=window["price_list_id"],
                    sku=self.sku,
                    unit_price=window["unit_price"],
                    floor_price=window["floor_price"],
                )
        return None


Keys = Mapping[str, SkuPriceWindows | None]


class PriceList(MopsAggregate):
    """One price list: a validity window and a price (and floor) per sku."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        name: str
        valid_from: date
        valid_to: date | None
        currency: str
        status: str
        # By sku, retired ones included.
        prices: dict[str, Price]
        published_at: datetime | None
        published_by: str | None

    class Created(MopsAggregate.Created):
        name: str
        valid_from: date
        valid_to: date | None
        currency: str

        def apply(self, price_list: PriceList) -> None:
            price_list.name = self.name
            price_list.valid_from = self.valid_from
            price_list.valid_to = self.valid_to
            price_list.currency = self.currency
            price_list.status = PriceListStatus.DRAFT.value
            price_list.prices = {}
            price_list.published_at = None
            price_list.published_by = None

    class PriceSet(MopsAggregate.Event):
        sku: str
        unit_price: Decimal
        floor_price: Decimal | None

        def apply(self, price_list: PriceList) -> None:
            price_list.prices = {
                **price_list.prices,
                self.sku: {
                    "sku": self.sku,
                    "unit_price": self.unit_price,
                    "floor_price": self.floor_price,
                    "status": PriceStatus.ACTIVE.value,
                },
            }

    class PriceRetired(MopsAggregate.Event):
        sku: str

        def apply(self, price_list: PriceList) -> None:
            price_list.prices = {
                **price_list.prices,
                self.sku: {**price_list.prices[self.sku], "status": PriceStatus.RETIRED.value},
            }

    class Published(MopsAggregate.Event):
        skus: list[str]

        def apply(self, price_list: PriceList) -> None:
            price_list.status = PriceListStatus.PUBLISHED.value
            price_list.published_at = self.occurred_at
            price_list.published_by = self.actor

    @property
    def active_prices(self) -> dict[str, Price]:
        """The prices in force on this list, by sku (retired ones left out)."""
        return {
            sku: price
            for sku, price in self.prices.items()
            if price["status"] == PriceStatus.ACTIVE.value
        }

    @property
    def published(self) -> bool:
        """Whether the list has been published."""
        return self.status == PriceListStatus.PUBLISHED.value

    @classmethod
    def create(
        cls,
        cause: Cause,
        *,
        id: UUID,
        name: str,
        valid_from: date,
        valid_to: date | None = None,
        currency: str,
    ) -> PriceList:
        """Create a draft price list for a validity window, in the deployment's currency."""
        errors: list[FieldError] = []
        try:
            name = required_text(name, "name", 200)
        except ValidationFailed as error:
            errors.extend(error.errors)
        try:
            _window(valid_from, valid_to)
        except ValidationFailed as error:
            errors.extend(error.errors)
        if errors:
            raise ValidationFailed(errors)
        return cls._start(
            cls.Created,
            cause,
            id=id,
            name=name,
            valid_from=valid_from,
            valid_to=valid_to,
            currency=currency,
        )

    def _publish_window(self, cause: Cause, key: SkuPriceWindows, sku: str) -> None:
        price = self.prices[sku]
        key.publish(
            cause,
            price_list_id=self.id,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            unit_price=price["unit_price"],
            floor_price=price["floor_price"],
        )

    def set_price(
        self,
        cause: Cause,
        *,
        sku: str,
        unit_price: Decimal,
        floor_price: Decimal | None = None,
        key: SkuPriceWindows | None = None,
    ) -> list[SkuPriceWindows]:
        """Price a sku (again); on a published list the sku's key changes with it.

        `key` is the sku's key as stored (None when it has none); the keys to save
        alongside the list are returned.
        """
        sku = _sku(sku)
        errors: list[FieldError] = []
        checked_unit_price: Decimal | None = None
        try:
            checked_unit_price = _positive(unit_price, "unit_price")
        except ValidationFailed as error:
            errors.extend(error.errors)
        checked_floor_price: Decimal | None = None
        if floor_price is not None:
            try:
                checked_floor_price = _positive(floor_price, "floor_price")
            except ValidationFailed as error:
                errors.extend(error.errors)
            else:
                if checked_unit_price is not None and checked_floor_price > checked_unit_price:
                    errors.append(FieldError("floor_price", "may not exceed the unit price"))
        if errors:
            raise ValidationFailed(errors)
        self._record(
            self.PriceSet,
            cause,
            sku=sku,
            unit_price=checked_unit_price,
            floor_price=checked_floor_price,
        )
        if not self.published:
            return []
        held = SkuPriceWindows.of(cause, sku, key)
        self._publish_window(cause, held, sku)
        return [held]

    def retire_price(
        self, cause: Cause, *, sku: str, key: SkuPriceWindows | None = None
    ) -> list[SkuPriceWindows]:
        """Stop pricing a sku on this list; on a published list it leaves the sku's key."""
        sku = _sku(sku)
        price = self.prices.get(sku)
        if price is None:
            raise NotFound(f"this price list has no price for {sku}")
        if price["status"] == PriceStatus.RETIRED.value:
            raise InvalidState("retire", PriceStatus.RETIRED.value, f"{sku} is already retired")
        self._record(self.PriceRetired, cause, sku=sku)
        if not self.published or key is None:
            return []
        key.withdraw(cause, self.id)
        return [key]

    def publish(self, cause: Cause, keys: Keys) -> list[SkuPriceWindows]:
        """Put the list in force for its window; no other published list may price one
        of its skus on a day of it.

        `keys` maps each active sku to its key as stored (or None); the keys to save
        alongside the list are returned.
        """
        if self.status != PriceListStatus.DRAFT:
            raise InvalidState("publish", self.status)
        skus = sorted(self.active_prices)
        if not skus:
            raise ValidationFailed.of("prices", "a price list needs a price to be published")
        changed = []
        for sku in skus:
            key = SkuPriceWindows.of(cause, sku, keys.get(sku))
            self._publish_window(cause, key, sku)
            changed.append(key)
        self._record(self.Published, cause, skus=skus)
        return changed
