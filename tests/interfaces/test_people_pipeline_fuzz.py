"""No body or query, however odd, makes a complaint, employee, opportunity or price-list
route fail with a server error; a refused command writes nothing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interfaces.http.reads import encode_cursor
from tests.conftest import bearer, unique

ADMIN = bearer("fuzz", "admin")
OTHER_ADMIN = bearer("fuzz-2", "admin")
TODAY = datetime.now(UTC).date()
DAYS = [
    TODAY.isoformat(),
    (TODAY + timedelta(days=30)).isoformat(),
    (TODAY - timedelta(days=400)).isoformat(),
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "26-01-01",
]
MOMENTS = [
    datetime.now(UTC).isoformat(),
    (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
    (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    "2026-11-27T10:00:00",
    "2026-11-27T10:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999+00:00",
    "2026-13-01T00:00:00Z",
]
NUMBERS = ["1e400", "NaN", "Infinity", "-0.001", "0.005", "100.00", "1e-30", "99999999999999999"]
WORDS = [
    # Enumerated values of the bodies, so that some bodies get past validation.
    "email",
    "billing",
    "high",
    "process",
    "passed",
    "failed",
    "interview",
    "background_check",
    "pass",
    "skills",
    "annual",
    "monthly",
    "2026",
    "2026-Q2",
    "2026-13",
    "superior",
    "self",
    "proposal",
    "negotiation",
    "qualification",
    "price",
    "direct",
    "SEO-M",
]
# Stand-ins for the ids of the module's aggregates, put in place when a case runs.
IDS = ["$customer", "$contract", "$employee", "$candidate", "$appraisal", "$plan", "$quote"]
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(DAYS + MOMENTS + NUMBERS + WORDS + IDS + [str(uuid4()), "", " ", "x" * 201]),
)
ODD = st.one_of(
    SCALAR,
    st.lists(st.text(max_size=5), max_size=3),
    st.lists(SCALAR, max_size=3),
    st.fixed_dictionaries({"name": st.text(max_size=5)}),
)
ODD_ITEMS = st.lists(
    st.dictionaries(st.sampled_from(["metric", "target", "weight", "extra"]), SCALAR, max_size=4),
    max_size=3,
)
ODD_LINES = st.lists(
    st.dictionaries(
        st.sampled_from(["sku", "quantity", "unit_price", "unit_cost", "description"]),
        SCALAR,
        max_size=5,
    ),
    max_size=3,
)

# Values of the right type but odd otherwise, by field: they pass the schema more often
# and reach the rules of the domain.
ODD_DAY = st.one_of(st.dates().map(date.isoformat), st.sampled_from(DAYS))
ODD_MOMENT = st.one_of(
    st.sampled_from(MOMENTS),
    st.tuples(
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        st.sampled_from(["Z", "+00:00", "+14:00", "-12:00", "+05:30"]),
    ).map(lambda pair: pair[0].isoformat() + pair[1]),
    st.datetimes(
        min_value=datetime.now() - timedelta(days=40), max_value=datetime.now() + timedelta(days=2)
    ).map(lambda moment: moment.isoformat() + "+00:00"),
)
ODD_DECIMAL = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.decimals(min_value=-1, max_value=10**6, places=3).map(str),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NUMBERS),
)
ODD_INT = st.one_of(st.integers(-3, 12), st.integers(min_value=-(2**70), max_value=2**70))
LINE = {"sku": "SEO-M", "quantity": 1, "unit_price": "1500", "unit_cost": "900"}
ITEM = {"metric": "revenue", "target": "1000", "weight": "1"}
PLAUSIBLE: dict[str, st.SearchStrategy] = {
    **dict.fromkeys(
        [
            "hired_on",
            "on",
            "completed_on",
            "due_on",
            "expected_close_on",
            "valid_until",
            "delivery_due_on",
            "valid_from",
            "valid_to",
        ],
        ODD_DAY,
    ),
    "occurred_at": ODD_MOMENT,
    **dict.fromkeys(
        [
            "score",
            "hours",
            "kpi_score",
            "goals_score",
            "attitude_score",
            "amount",
            "expected_value",
            "unit_price",
            "unit_cost",
            "floor_price",
            "target",
            "weight",
        ],
        ODD_DECIMAL,
    ),
    **dict.fromkeys(["level", "satisfaction", "payment_term_days", "quantity"], ODD_INT),
}


COMPLAINT_FIELDS = [
    "customer_id",
    "contract_id",
    "channel",
    "category",
    "severity",
    "description",
    "occurred_at",
    "assignee_id",
    "message",
    "note",
    "customer_informed",
    "level",
    "reason",
    "resolution",
    "root_cause",
    "corrective_action",
    "satisfaction",
]
EMPLOYEE_FIELDS = [
    "name",
    "position",
    "department",
    "source",
    "kind",
    "result",
    "score",
    "notes",
    "occurred_at",
    "hired_on",
    "manager_id",
    "grade",
    "reason",
    "on",
    "period",
    "items",
    "course",
    "hours",
    "completed_on",
    "feedback",
    "cycle",
    "kpi_score",
    "goals_score",
    "attitude_score",
    "comments",
    "amount",
    "appraisal_id",
    "title",
    "goals",
    "due_on",
    "outcome",
]
OPPORTUNITY_FIELDS = [
    "customer_id",
    "title",
    "expected_value",
    "expected_close_on",
    "source",
    "competitors",
    "owner_id",
    "occurred_at",
    "to_stage",
    "note",
    "reason",
    "lines",
    "valid_until",
    "payment_term_days",
    "summary",
    "concessions",
    "quote_id",
    "delivery_due_on",
    "channel",
    "competitor",
]
PRICE_LIST_FIELDS = ["name", "valid_from", "valid_to", "sku", "unit_price", "floor_price"]

LATER = (TODAY + timedelta(days=30)).isoformat()
# Each command route, with a body it may accept: a case sends odd fields, or this body
# with some fields dropped and some replaced by odd values, so that cases get past the
# schema to the rules of the domain (dates, amounts, states).
COMMANDS: dict[str, dict[str, dict]] = {
    "complaints": {
        "": {
            "customer_id": "$customer",
            "contract_id": "$contract",
            "channel": "email",
            "category": "billing",
            "severity": "medium",
            "description": "charged twice",
        },
        "{complaint}/assign": {"assignee_id": "sue"},
        "{complaint}/respond": {"message": "on it"},
        "{complaint}/progress": {"note": "refund asked", "customer_informed": True},
        "{complaint}/escalate": {"level": 2, "reason": "slow"},
        "{complaint}/resolve": {
            "resolution": "refunded",
            "root_cause": "process",
            "corrective_action": "dedupe",
        },
        "{complaint}/close": {"satisfaction": 4},
        "{complaint}/reopen": {"reason": "charged again"},
    },
    "employees": {
        "": {"name": "Li Wei", "position": "Rep", "department": "sales"},
        "{candidate}/interviews": {"kind": "interview", "result": "pass", "score": 80},
        "{candidate}/hire": {"hired_on": TODAY.isoformat(), "position": "Rep", "department": "x"},
        "{candidate}/reject": {"reason": "no"},
        "{employee}/interviews": {"kind": "screening", "result": "fail"},
        "{employee}/transfer": {"department": "service", "manager_id": "$candidate"},
        "{employee}/promote": {"position": "Lead", "grade": "P4"},
        "{employee}/terminate": {"reason": "left", "on": TODAY.isoformat()},
        "{employee}/targets": {
            "period": "2026-Q2",
            "items": [{"metric": "revenue", "target": "1000", "weight": "1"}],
        },
        "{employee}/trainings": {
            "course": "CRM",
            "kind": "skills",
            "hours": "4.5",
            "completed_on": TODAY.isoformat(),
        },
        "{employee}/appraisals": {"cycle": "quarterly", "period": "2026-Q3"},
        "{employee}/appraisals/{appraisal}/evaluations": {
            "source": "peer",
            "kpi_score": 70,
            "goals_score": "70.5",
            "attitude_score": 70,
        },
        "{employee}/appraisals/{appraisal}/finalize": {},
        "{employee}/appraisals/{unknown}/evaluations": {"source": "self"},
        "{employee}/bonuses": {"amount": "100.00", "reason": "good", "appraisal_id": "$appraisal"},
        "{employee}/honors": {"title": "Star"},
        "{employee}/improvement-plans": {"goals": "two deals", "due_on": LATER},
        "{employee}/improvement-plans/{plan}/close": {"outcome": "passed"},
        "{employee}/improvement-plans/{unknown}/close": {"outcome": "failed"},
    },
    "opportunities": {
        "": {
            "customer_id": "$customer",
            "title": "Relaunch",
            "expected_value": "9000.00",
            "expected_close_on": LATER,
        },
        "{opportunity}/advance": {"to_stage": "proposal"},
        "{opportunity}/regress": {"to_stage": "qualification", "reason": "budget cut"},
        "{opportunity}/quotes": {
            "lines": [{"sku": "SEO-M", "quantity": 1, "unit_price": "1500", "unit_cost": "900"}],
            "valid_until": LATER,
            "payment_term_days": 30,
        },
        "{opportunity}/negotiations": {"summary": "asked for 5%"},
        "{opportunity}/win": {"quote_id": "$quote", "delivery_due_on": LATER},
        "{opportunity}/lose": {"reason": "price"},
        "{opportunity}/reopen": {},
    },
    "price-lists": {
        "": {"name": "Spring", "valid_from": TODAY.isoformat()},
        "{price_list}/prices": {"sku": "SEO-M", "unit_price": "1600", "floor_price": "1200"},
        "{price_list}/prices/{sku}/retire": {},
        "{price_list}/prices/{odd_sku}/retire": {},
        "{price_list}/publish": {},
    },
}
FIELDS = {
    "complaints": COMPLAINT_FIELDS,
    "employees": EMPLOYEE_FIELDS,
    "opportunities": OPPORTUNITY_FIELDS,
    "price-lists": PRICE_LIST_FIELDS,
}
IF_MATCH = st.sampled_from([None] * 9 + ['"1"', '"999"', '"x"', 'W/"2"'])


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def targets(client) -> dict[str, str]:
    """The ids of a customer, a contract, a complaint, a candidate, a hired employee with a
    finalized appraisal, an open improvement plan and an open appraisal, an opportunity
    with a quote, and a price list with a price."""
    ids: dict[str, str] = {}
    ids["customer"] = ok(
        client.post(
            "/customers",
            json={"name": unique("Fuzz"), "kind": "company", "source": "web", "contacts": []},
            headers=ADMIN,
        ),
        201,
    )["id"]
    ids["contract"] = ok(
        client.post(
            "/contracts",
            json={
                "customer_id": ids["customer"],
                "channel": "direct",
                "lines": [{"sku": "A", "quantity": 1, "unit_price": "10", "unit_cost": "5"}],
                "payment_term_days": 30,
                "delivery_due_on": (TODAY + timedelta(days=60)).isoformat(),
            },
            headers=ADMIN,
        ),
        201,
    )["id"]
    ids["complaint"] = ok(
        client.post(
            "/complaints",
            json={
                "customer_id": ids["customer"],
                "contract_id": ids["contract"],
                "channel": "email",
                "category": "billing",
                "severity": "medium",
                "description": "charged twice",
            },
            headers=ADMIN,
        ),
        201,
    )["id"]
    for who in ("candidate", "employee"):
        ids[who] = ok(
            client.post(
                "/employees",
                json={"name": unique("Person"), "position": "Rep", "department": "sales"},
                headers=ADMIN,
            ),
            201,
        )["id"]
    url = f"/employees/{ids['employee']}"
    for kind in ("interview", "background_check"):
        ok(client.post(f"{url}/interviews", json={"kind": kind, "result": "pass"}, headers=ADMIN))
    hire = {"hired_on": TODAY.isoformat(), "position": "Rep", "department": "sales"}
    ok(client.post(f"{url}/hire", json=hire, headers=ADMIN))
    low = {"source": "superior", "kpi_score": 55, "goals_score": 55, "attitude_score": 55}
    finished = ok(
        client.post(
            f"{url}/appraisals", json={"cycle": "monthly", "period": "2026-01"}, headers=ADMIN
        ),
        201,
    )["id"]
    ok(client.post(f"{url}/appraisals/{finished}/evaluations", json=low, headers=ADMIN))
    ok(client.post(f"{url}/appraisals/{finished}/finalize", json={}, headers=ADMIN))
    ids["plan"] = ok(
        client.post(
            f"{url}/improvement-plans",
            json={"goals": "three deals", "due_on": (TODAY + timedelta(days=60)).isoformat()},
            headers=ADMIN,
        ),
        201,
    )["id"]
    ids["appraisal"] = ok(
        client.post(f"{url}/appraisals", json={"cycle": "annual", "period": "2026"}, headers=ADMIN),
        201,
    )["id"]
    ids["opportunity"] = ok(
        client.post(
            "/opportunities",
            json={
                "customer_id": ids["customer"],
                "title": "Relaunch",
                "expected_value": "9000.00",
                "expected_close_on": (TODAY + timedelta(days=40)).isoformat(),
            },
            headers=ADMIN,
        ),
        201,
    )["id"]
    ids["quote"] = ok(
        client.post(
            f"/opportunities/{ids['opportunity']}/quotes",
            json={
                "lines": [
                    {"sku": "SEO-M", "quantity": 2, "unit_price": "1500", "unit_cost": "900"}
                ],
                "valid_until": (TODAY + timedelta(days=10)).isoformat(),
                "payment_term_days": 30,
            },
            headers=ADMIN,
        ),
        201,
    )["id"]
    ids["price_list"] = ok(
        client.post(
            "/price-lists",
            json={"name": unique("List"), "valid_from": TODAY.isoformat()},
            headers=ADMIN,
        ),
        201,
    )["id"]
    ok(
        client.post(
            f"/price-lists/{ids['price_list']}/prices",
            json={"sku": "SEO-M", "unit_price": "1500", "floor_price": "1200"},
            headers=ADMIN,
        )
    )
    return ids


def _with_ids(value, ids: dict[str, str]):
    """The value with every id stand-in (`$customer`) replaced by the id it stands for."""
    if isinstance(value, str) and value.startswith("$") and value[1:] in ids:
        return ids[value[1:]]
    if isinstance(value, list):
        return [_with_ids(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _with_ids(v, ids) for k, v in value.items()}
    return value


VALUE = st.one_of(ODD, ODD_ITEMS, ODD_LINES)
# Bodies that are no JSON object at all, sent as they are.
RAW = [
    b"",
    b"[]",
    b"null",
    b'"x"',
    b"{",
    b"\xff",
    b'{"a": 1e999999}',
    b'{"amount": ' + b"9" * 5000 + b"}",
    b'{"lines": ' + b"[" * 100_000 + b"}",
]


def _plausible(key: str) -> st.SearchStrategy:
    """An odd value for a field, mostly of its type; a line or an item with odd fields."""
    if key in ("lines", "items"):
        valid, keys = (LINE, [*LINE, "description"]) if key == "lines" else (ITEM, [*ITEM])
        field = st.sampled_from(keys).flatmap(
            lambda k: st.tuples(st.just(k), st.one_of(PLAUSIBLE.get(k, SCALAR), SCALAR))
        )
        odd = st.lists(field, max_size=2).map(lambda fields: {**valid, **dict(fields)})
        return st.lists(odd, min_size=1, max_size=3)
    return st.one_of(PLAUSIBLE.get(key, VALUE), PLAUSIBLE.get(key, VALUE), VALUE)


def _odd_body(data: st.DataObject, resource: str, valid: dict) -> dict:
    """Odd fields alone, or the valid body with a field dropped and some made odd."""
    keys = st.sampled_from([*FIELDS[resource], "extra", "version"])
    if data.draw(st.booleans(), label="from the valid body"):
        own = st.sampled_from(sorted(valid)) if valid else keys
        dropped = data.draw(st.sets(own, max_size=1), label="dropped")
        changed = data.draw(st.lists(st.one_of(own, own, keys), max_size=2), label="changed")
        odd = {key: data.draw(_plausible(key), label=key) for key in changed}
        return {**{k: v for k, v in valid.items() if k not in dropped}, **odd}
    return data.draw(st.dictionaries(keys, VALUE, max_size=6), label="body")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    resource=st.sampled_from(sorted(COMMANDS)),
    raw=st.sampled_from([None] * 9 + RAW),
    headers=st.sampled_from([ADMIN, OTHER_ADMIN]),
    if_match=IF_MATCH,
    odd_sku=st.sampled_from(["NOPE", "a b", "%", "..", "\u00e9t\u00e9", " SEO-M "]),
)
def test_odd_bodies_never_make_a_server_error_and_refusals_write_nothing(
    client, services, targets, data, resource, raw, headers, if_match, odd_sku
):
    name = data.draw(st.sampled_from(sorted(COMMANDS[resource])), label="command")
    body = _with_ids(_odd_body(data, resource, COMMANDS[resource][name]), targets)
    slots = {**targets, "sku": "SEO-M", "odd_sku": quote(odd_sku, safe=""), "unknown": uuid4()}
    path = f"/{resource}/{name.format(**slots)}".rstrip("/")
    sent = {**headers, "content-type": "application/json"}
    if if_match is not None:
        sent["If-Match"] = if_match
    content = raw if raw is not None else json.dumps(body)
    before = services.backoffice.max_position()
    response = client.post(path, content=content, headers=sent)
    case = (path, content, response.text)
    assert response.status_code < 500, case
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), case
        assert response.json()["code"], case
        assert services.backoffice.max_position() == before, case


def _cursor(after) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


CURSORS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(encode_cursor),
    st.sampled_from([0, 1, 2**63 - 1, 2**63, -(2**63) - 1, 1.5, "3", None, True, [1]]).map(_cursor),
    st.text(max_size=20),
    st.sampled_from(["", "=", "e30", "bnVsbA", "eyJhZnRlciI6IDF9===="]),
    st.sampled_from([b"[" * 5000, b'{"after": ' + b"1" * 5000 + b"}", b"\xff\xfe"]).map(
        lambda raw: base64.urlsafe_b64encode(raw).decode()
    ),
)
QUERY_VALUE = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        [
            *DAYS,
            *MOMENTS,
            *WORDS,
            *NUMBERS,
            *IDS,
            *["open", "won", "lost", "received", "closed", "active", "published", "draft"],
            *["", ",", " , ", "9" * 5000, "a\x00b", str(uuid4())],
        ]
    ),
)
QUERY_DAY = st.one_of(QUERY_VALUE, ODD_DAY)
QUERY = {
    "group_by": st.one_of(
        QUERY_VALUE,
        st.lists(
            st.sampled_from(
                ["period", "category", "severity", "owner", "stage", "month", "x", "", ","]
            ),
            max_size=4,
        ),
        st.sampled_from(["period,category", "owner, stage,month", "month,month", "stage,,"]),
    ),
    "as_of": st.one_of(QUERY_VALUE, ODD_DAY, ODD_MOMENT),
    "from": QUERY_DAY,
    "to": QUERY_DAY,
    "period": st.one_of(
        QUERY_VALUE,
        st.sampled_from(["2026", "2026-Q4", "2026-02", "0000", "0001-Q1", "9999-12", "2026-Q5"]),
    ),
    "limit": st.one_of(QUERY_VALUE, st.integers(-5, 1005).map(str)),
    "cursor": CURSORS,
    **dict.fromkeys(
        [
            "status",
            "stage",
            "severity",
            "category",
            "channel",
            "customer_id",
            "assignee_id",
            "owner_id",
            "department",
            "manager_id",
            "sku",
            "q",
            "wait_for_nothing",
        ],
        QUERY_VALUE,
    ),
    "active_on": QUERY_DAY,
}
# Each read, with the parameters it takes; a case mostly sends those, sometimes others.
READS = {
    "/reports/complaints": ["group_by", "as_of", "limit", "cursor"],
    "/reports/pipeline": ["group_by", "from", "to", "as_of", "limit", "cursor"],
    "/reports/kpis/company": ["period", "as_of"],
    "/reports/kpis/employees/{employee}": ["period"],
    "/reports/kpis/employees/{unknown}": ["period"],
    "/complaints": [
        "status",
        "customer_id",
        "assignee_id",
        "severity",
        "category",
        "channel",
        "limit",
        "cursor",
    ],
    "/employees": ["status", "department", "manager_id", "q", "limit", "cursor"],
    "/opportunities": ["status", "stage", "owner_id", "customer_id", "q", "limit", "cursor"],
    "/price-lists": ["status", "sku", "active_on", "q", "limit", "cursor"],
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), read=st.sampled_from(sorted(READS)))
def test_odd_queries_never_make_a_server_error(client, targets, data, read):
    own = st.sampled_from(READS[read])
    keys = st.one_of(own, own, own, st.sampled_from(sorted(QUERY)))
    params = data.draw(
        st.lists(keys.flatmap(lambda key: st.tuples(st.just(key), QUERY[key])), max_size=5),
        label="params",
    )
    path = read.format(employee=targets["employee"], unknown=uuid4())
    query = [
        (key, _with_ids(item, targets))
        for key, value in params
        for item in (value if isinstance(value, list) else [value])
    ]
    response = client.get(path, params=query, headers=ADMIN)
    assert response.status_code < 500, (path, query, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"], (path, query, response.text)
