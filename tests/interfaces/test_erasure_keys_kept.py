"""Kept keys and erasures across processes: a process that read a subject's key before
another process erased the subject never decrypts that subject's old events afterwards
(interfaces/personal_data.py, "Keys cached, erasures looked for")."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from application.backoffice import Backoffice
from application.commands.customers import EraseCustomer, RegisterLead
from tests.conftest import Database, as_, unique

READER = textwrap.dedent(
    """
    import json, sys
    from uuid import UUID
    from application.backoffice import Backoffice
    from interfaces.personal_data import forget_erased_keys
    env, subject = json.loads(sys.argv[1]), UUID(sys.argv[2])
    app = Backoffice(env)
    def read():
        forget_erased_keys(app.mapper)
        print(json.dumps(app.repository.get(subject, version=1).name), flush=True)
    read()                 # decrypts: the key is now kept in this process
    sys.stdin.readline()   # the other process erases meanwhile
    read()
    app.close()
    """
)


def test_a_process_holding_a_key_shows_erased_after_another_erases(database: Database) -> None:
    env = database.env()
    app = Backoffice(env)
    name = unique("Chen")
    try:
        subject = app.handle(
            as_("sam", "sales"), RegisterLead(name=name, kind="person", source="web")
        ).id
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, json.dumps(env), str(subject)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout is not None and reader.stdin is not None
        assert json.loads(reader.stdout.readline()) == name
        # Saved only: the key is not destroyed (as after a crash before the erase route
        # destroys it), so only the Erased event can tell the reader.
        app.handle(as_("lee", "legal"), EraseCustomer(subject, "asked"))
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert json.loads(reader.stdout.readline()) == "[erased]"
        assert reader.wait(timeout=30) == 0
    finally:
        app.close()
