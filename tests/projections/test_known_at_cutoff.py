"""Which events a report known at a moment counts (projections/scratch.py), both databases.

Recording times are read before the commit, so they may run back along the log by a
little: every event recorded at or before `known_at` counts, wherever it stands, and the
reading stops at the first event recorded more than `SKEW` after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.commands.customers import RegisterLead
from interfaces.bootstrap import build
from projections.runner import READ_MODELS
from projections.scratch import SKEW, Cutoff, copies_of, cutoff
from tests.conftest import as_

SAM = as_("sam", "sales")
T = datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_events_recorded_by_known_at_count_wherever_they_stand(database):
    now = [T]
    services = build(database.settings(), run_projections=False, clock=lambda: now[0])
    app = services.backoffice
    try:
        positions = {}
        # Recorded at T, T+20 s, then T+10 s (committed after a later reading), T+5 min.
        for name, offset in (("a", 0), ("b", 20), ("c", 10), ("d", 300)):
            now[0] = T + timedelta(seconds=offset)
            app.handle(
                SAM, RegisterLead(name=f"{name} Co", kind="company", source="web", contacts=[])
            )
            positions[name] = app.max_position()
        head = app.max_position()
        a, b, c = positions["a"], positions["b"], positions["c"]
        assert cutoff(app, T + timedelta(seconds=15), head) == Cutoff(c, tuple(range(a + 1, b + 1)))
        assert cutoff(app, T + timedelta(seconds=25), head) == Cutoff(c)
        assert cutoff(app, T - SKEW * 2, head) == Cutoff(0)
        assert cutoff(app, T + timedelta(hours=1), head).covers(head)
        # The scratch copy holds the customers recorded by then: a and c, not b.
        cut = cutoff(app, T + timedelta(seconds=15), head)
        view = copies_of(app).views([READ_MODELS["follow_ups"]], cut)["follow_ups"]
        names = sorted(row["name"] for row in view.rows("follow_ups"))
        assert names == ["a Co", "c Co"]
        again = copies_of(app).views([READ_MODELS["follow_ups"]], cut)["follow_ups"]
        assert again is view
    finally:
        services.close()
