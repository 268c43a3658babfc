"""A wait for a read model's position wakes when the position becomes known, in a process
that does not fold: the folding process's commit is announced (PostgreSQL) or found by the
tracking watch (SQLite), and the wait is woken, not left to find it at its next look."""

from __future__ import annotations

import threading
import time

from application.backoffice import Backoffice
from application.commands.customers import RegisterLead
from projections.runner import ReadSide
from tests.conftest import as_, unique

NAMES = ["customer_directory"]


def test_a_wait_is_woken_when_another_read_side_folds_its_position(database):
    app = Backoffice(database.env())
    observer = ReadSide(Backoffice, database.env(), database.dialect, run=False, names=NAMES)
    folder = None
    try:
        view = observer.view("customer_directory")
        woken = threading.Event()
        with view.waiting(app.name, woken.set):
            assert view.waited_for() == {app.name}
            # Folded by another read side, whose views are not this one's objects.
            folder = ReadSide(Backoffice, database.env(), database.dialect, run=True, names=NAMES)
            lead = RegisterLead(name=unique(), kind="company", source="web", contacts=[])
            app.handle(as_("sam", "sales"), lead)
            position = app.max_position()
            deadline = time.monotonic() + 30
            while view.known_position(app.name) < position:
                assert woken.wait(max(deadline - time.monotonic(), 0)), "the wait was not woken"
                woken.clear()
        assert view.waited_for() == set()
        assert view.max_tracking_id(app.name) == position
    finally:
        if folder is not None:
            folder.close()
        observer.close()
        app.close()
