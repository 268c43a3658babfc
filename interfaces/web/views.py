"""The list, aggregate and report pages: what they ask the API, and what they show."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi.responses import Response

from domain.errors import NotFound, ValidationFailed
from interfaces.web.api import Parameter, endpoint
from interfaces.web.catalogue import (
    COLLECTIONS,
    LINKED_FIELDS,
    REPORTS,
    TODAY,
    YEAR,
    Collection,
    Report,
)
from interfaces.web.page import Page

PAGE_SIZE = 50
HISTORY_SIZE = 200
# Fields a list leaves out: the directory's ordering keys, shown by no one.
HIDDEN = frozenset({"position", "registered_position", "id"})
# Directories whose rows may fill a choice of a filter or an id, and the field naming each.
CHOICES = {
    "employees": "name",
    "customers": "name",
    "budgets": "name",
    "campaigns": "name",
}
CHOICE_LIMIT = 500


def columns(items: list[dict[str, Any]]) -> list[str]:
    """The fields of a list's rows, in their order, but the hidden ones."""
    seen: dict[str, None] = {}
    for item in items[:PAGE_SIZE]:
        seen.update(dict.fromkeys(k for k in item if k not in HIDDEN))
    return list(seen)


def title_of(item: dict[str, Any]) -> str:
    """What a row or an aggregate is called: its name or title, else its short id."""
    for key in ("name", "title"):
        if isinstance(item.get(key), str) and item[key]:
            return str(item[key])
    return str(item.get("id", ""))[:8]


def choices(page: Page, field: str) -> list[tuple[str, str]] | None:
    """The (id, name) pairs a filter on an id may pick from, where a directory names them."""
    collection = LINKED_FIELDS.get(field)
    if collection not in CHOICES or field == "actor":
        return None
    items = page.api.get(COLLECTIONS[collection].list_path, limit=CHOICE_LIMIT)["items"]
    return sorted(((i["id"], str(i.get(CHOICES[collection]) or i["id"])) for i in items),
                  key=lambda pair: pair[1].casefold())  # fmt: skip


def form_fields(page: Page, filters: list[Parameter]) -> list[dict[str, Any]]:
    """A form's fields: each filter with its current values and, for ids, its choices."""
    asked = page.query()
    return [
        {
            "name": f.alias,
            "many": f.many,
            "chosen": asked.get(f.alias, []),
            "choices": choices(page, f.alias),
        }
        for f in filters
    ]


def listing(page: Page, collection: Collection) -> Response:
    """A page of a collection, filtered by the query's values."""
    query = page.query()
    answer = page.api.get(
        collection.list_path,
        query=query,
        limit=PAGE_SIZE,
        cursor=page.request.query_params.get("cursor"),
    )
    filters = endpoint(collection.list_path).filters
    return page.render(
        "list.html",
        collection=collection,
        items=answer["items"],
        columns=columns(answer["items"]),
        next_cursor=answer["next_cursor"],
        fields=form_fields(page, filters),
        title_of=title_of,
    )


def aggregate(page: Page, collection: Collection, item_id: str) -> Response:
    """An aggregate now or as it was (`version`, `as_of`), with its history."""
    ids = {collection.id_name: item_id}
    query = page.query()
    asked = {k: v for k, v in query.items() if k in ("version", "as_of") and v and v[-1]}
    state = page.api.get(collection.item_path, ids=ids, query=asked)
    current = state if not asked else page.api.get(collection.item_path, ids=ids)
    history = page.api.get(
        collection.history_path,
        ids=ids,
        limit=HISTORY_SIZE,
        cursor=page.request.query_params.get("after"),
    )
    fields = {k: v for k, v in state.items() if k != "id"}
    return page.render(
        "aggregate.html",
        collection=collection,
        item_id=item_id,
        state=state,
        fields=fields,
        title=title_of(state),
        current_version=current.get("version"),
        asked={k: v[-1] for k, v in asked.items()},
        history=history["items"],
        history_next=history["next_cursor"],
        version_link=lambda version: page.link(version=str(version), as_of=None, after=None),
    )


def resolve(name: str, query: dict[str, list[str]]) -> tuple[Report, dict[str, str]]:
    """The report a page names, and the ids its path needs (from the query, or the tail
    of the name: `budgets/<id>`)."""
    report = REPORTS.get(name)
    ids: dict[str, str] = {}
    if report is None and "/" in name:
        head, _, tail = name.rpartition("/")
        report = REPORTS.get(head)
        if report is not None and "{" in report.path:
            ids[report.path.split("{")[1].rstrip("}")] = tail
        else:
            report = None
    if report is None:
        raise NotFound(f"no report {name}")
    return report, ids


def report(page: Page, name: str) -> Response:
    """A report: its parameters as a form, and, once its ids are known, its answer."""
    query = page.query()
    found, ids = resolve(name, query)
    if not set(query) - {"lang"}:
        today = page.services.backoffice.clock().astimezone(UTC).date()
        dates = {TODAY: today.isoformat(), YEAR: str(today.year)}
        query = {k: [dates.get(v, v)] for k, v in found.defaults}
    target = endpoint(found.path)
    for id_name in target.path_names:
        ids.setdefault(id_name, (query.get(id_name) or [""])[-1])
    missing = [n for n in target.path_names if not ids[n]]
    answer, problem = None, None
    try:
        if not missing:
            answer = page.api.get(
                found.path, ids=ids, query=query, cursor=page.request.query_params.get("cursor")
            )
    except ValidationFailed as error:
        problem = error
    id_fields = [
        {
            "name": n,
            "many": False,
            "chosen": [ids[n]] if ids[n] else [],
            "choices": choices(page, n),
        }
        for n in target.path_names
    ]
    fields = id_fields + [
        {**f, "chosen": query.get(f["name"], []), "group_keys": found.group_keys}
        for f in form_fields(page, target.filters)
    ]
    return page.render(
        "report.html",
        status=200 if problem is None else 422,
        problem=problem, report=found, fields=fields, answer=answer, missing=missing,
        parts=None if answer is None else parts(answer),
    )  # fmt: skip


def parts(answer: dict[str, Any]) -> dict[str, Any]:
    """A report's answer split for showing: its single figures, its small maps (a heat
    map), and its tables (rows of objects), each table with its columns."""
    scalars = {k: v for k, v in answer.items() if not isinstance(v, dict | list)}
    scalars.pop("next_cursor", None)
    maps = {k: v for k, v in answer.items() if isinstance(v, dict)}
    tables = []
    for key, rows in answer.items():
        if isinstance(rows, list):
            cols = columns([r for r in rows if isinstance(r, dict)])
            tables.append((key, rows, cols))
    return {"scalars": scalars, "maps": maps, "tables": tables}
