"""The SQLite subscription of the read side: stopping it never deadlocks."""

from __future__ import annotations

import threading

import pytest

from application.backoffice import Backoffice
from interfaces.settings import Settings
from projections import subscriptions


def test_a_subscription_stopped_by_the_collector_inside_the_listeners_lock_returns(tmp_path):
    """The garbage collector may run an unreachable subscription's `__del__`, which stops
    it, inside any allocation: also one made while this thread registers or unregisters
    another subscription under the listeners' lock. That nested stop used to deadlock
    the thread that folds every read model. (On PostgreSQL the subscription is the
    library's LISTEN/NOTIFY one, without this lock.)"""
    app = Backoffice(Settings(database_url=f"sqlite:///{tmp_path}/mops.db").persistence_env())
    subscription = app.recorder.subscribe(gt=0).__enter__()
    stopped = threading.Event()

    def stop_while_holding_the_lock() -> None:
        with subscriptions._listeners_lock:
            subscription.stop()
        stopped.set()

    threading.Thread(target=stop_while_holding_the_lock, daemon=True).start()
    if not stopped.wait(5):
        # Left as it is: cleaning up would wait on the same lock.
        pytest.fail("stopping a subscription under the listeners' lock deadlocked")
    subscription.stop()  # again, as the library's __del__ does: nothing happens
    subscription.__exit__(None, None, None)  # joins its threads before the store closes
    app.close()
