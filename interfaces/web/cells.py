"""How a value of an API answer reads on a page: money, ratios, people and customers by
name, links to aggregates, nested objects in short."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from markupsafe import Markup, escape

from interfaces.bootstrap import Services
from interfaces.web import i18n
from interfaces.web.catalogue import LINKED_FIELDS, MONEY_FIELDS, PERSON_FIELDS, RATIO_FIELDS

MAX_NESTED = 12


def _is_id(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        UUID(value)
    except ValueError:
        return False
    return True


class Names:
    """Names of employees and customers from their directories, looked up once a page."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._known: dict[tuple[str, str], str | None] = {}

    def of(self, directory: str, key: str) -> str | None:
        """The name in a directory (`employee_directory`, `customer_directory`), or None."""
        if (directory, key) not in self._known:
            row = self.services.read_side.view(directory).row(key)
            self._known[(directory, key)] = None if row is None else str(row["name"])
        return self._known[(directory, key)]

    def person(self, subject: str) -> str | None:
        return self.of("employee_directory", subject) if _is_id(subject) else None

    def customer(self, customer_id: str) -> str | None:
        return self.of("customer_directory", customer_id) if _is_id(customer_id) else None


class Cells:
    """Renders the values of one page, in its language and the deployment's currency."""

    def __init__(self, lang: str, currency: str, names: Names, label: Callable[[str], str]):
        self.lang = lang
        self.currency = currency
        self.names = names
        self.label = label

    def kind(self, key: str, value: Any) -> str:
        """`money`, `ratio`, `number` or `text`: how a field aligns and reads."""
        if key in MONEY_FIELDS and i18n.as_decimal(value) is not None:
            return "money"
        if key in RATIO_FIELDS and i18n.as_decimal(value) is not None:
            return "ratio"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return "number"
        return "text"

    def align(self, key: str, value: Any) -> str:
        """The CSS class of a cell: numbers right-aligned."""
        return "text" if self.kind(key, value) == "text" else "num"

    def raw(self, value: Any) -> str:
        """A scalar as the API gave it (for `data-value`), nested values as nothing."""
        if value is None or isinstance(value, dict | list):
            return ""
        return str(value).lower() if isinstance(value, bool) else str(value)

    def cell(self, key: str, value: Any, depth: int = 0) -> Markup:
        """A value as HTML."""
        kind = self.kind(key, value)
        if kind == "money":
            return escape(i18n.money(value, self.currency, self.lang))
        if kind == "ratio":
            return escape(i18n.percent(value, self.lang))
        if kind == "number":
            return escape(i18n.number(value, self.lang))
        if value is None:
            return Markup('<span class="none">—</span>')
        if isinstance(value, bool):
            return escape(self.label("yes" if value else "no"))
        if isinstance(value, dict | list):
            return self.nested(value, depth)
        return self.scalar(key, str(value))

    def scalar(self, key: str, text: str) -> Markup:
        collection = LINKED_FIELDS.get(key)
        if collection is None or not _is_id(text):
            return escape(text)
        if key == "customer_id":
            name = self.names.customer(text)
        elif key in PERSON_FIELDS:
            name = self.names.person(text)
        else:
            name = None
        shown = name if name is not None else text[:8]
        return Markup('<a href="/ui/{}/{}" title="{}">{}</a>').format(collection, text, text, shown)

    def actor(self, subject: str) -> Markup:
        """Who did something: an employee by name, any other subject as it is."""
        name = self.names.person(subject)
        if name is None:
            return escape(subject)
        return Markup('<a href="/ui/employees/{}" title="{}">{}</a>').format(subject, subject, name)

    def nested(self, value: dict[str, Any] | list[Any], depth: int) -> Markup:
        if depth >= 3:
            return escape(str(value))
        if isinstance(value, list):
            parts = [self.cell("", item, depth + 1) for item in value[:MAX_NESTED]]
            more = Markup(" …") if len(value) > MAX_NESTED else Markup("")
            return Markup(", ").join(parts) + more if parts else Markup("—")
        entries = [
            Markup("<span class=kv><b>{}</b> {}</span>").format(
                self.label(str(k)), self.cell(str(k), v, depth + 1)
            )
            for k, v in list(value.items())[:MAX_NESTED]
        ]
        return Markup(" ").join(entries) if entries else Markup("—")
