"""Personal data encrypted per data subject, and erased by destroying the subject's key.

DOMAIN.md, Principles: personal fields are stored encrypted with a key per data subject;
erasing the subject destroys its key, the events stay (and the hash chain with them), and
every read shows `"[erased]"` for those fields.

- **Which fields.** An event class (or, for snapshots, an aggregate class) of `domain/`
  declares its personal fields as pure data: `personal_fields`, dotted paths with `*` for
  each item of a list, and `person_fields`, personal only when the event or state says
  `kind` is "person" (a person-customer's name; a company's name is not personal).
- **Where.** `PersonalDataMapper`, the library's `Mapper` named by `MAPPER_TOPIC`, replaces
  each personal value by an envelope `{"_erasable_": "v1:<subject>:<base64 nonce and
  AES-GCM ciphertext>"}` on the way to the store, and decrypts it on the way out, so the
  back office, the read side, rebuilds, history and the CLI all see the same thing. The
  data subject is the aggregate: the customer (its contacts, its name if a person) or the
  employee or candidate. Its AES-256 key is made when first needed.
- **Keys** live in `mops_subject_keys` in the same database as the events, never in an
  event: `subject_id`, `secret` (base64, NULL once destroyed), `erased_at`. The mapper
  reaches them through `SubjectKeys`, which the library builds from the environment as
  the factory's "cipher" (`CIPHER_TOPIC`: the one hook through which a mapper is handed
  something built from the environment); it never encrypts a whole event.
- **Keys cached, erasures looked for.** A process keeps the living keys it has read (one
  query a key instead of one a decryption: without it a command on a customer was 3 to 4
  times slower on PostgreSQL). What reads old events of a subject that may have been
  erased since — a history, a version or `as_of` read, a `known_at` report — first calls
  `forget_erased_keys`, which reads the `Erased` events stored since it last looked (a
  range of positions, by index) and drops their subjects' keys; `destroy` drops the key
  at once in the process that erased. A key lookup that misses asks the database, and
  asks whether the subject has an `Erased` event: a key whose erasure was saved but not
  yet destroyed (a crash between the two) is refused and destroyed on the spot, and every
  process destroys such keys when it first opens the key table. Current state needs no
  such look: an aggregate applies its own `Erased` event.
- **Identity digests.** Duplicate detection keys (a normalised name with a phone or an
  email) are stored as `pseudonym(key)`: HMAC-SHA256 with a secret of the deployment kept
  in `mops_deployment_secrets`, made when first needed.
- **Limits.** The database keeps what the engine keeps: on PostgreSQL an updated row lives
  on as a dead tuple, so the destroyed key's table is rewritten (`VACUUM FULL`) at once and
  the read models' tables after the erase routes (interfaces/erasure.py); the WAL and
  backups keep it for as long as they are kept. SQLite overwrites deleted content
  (`PRAGMA secure_delete`) and a checkpoint clears the WAL. Events stored before this
  module existed hold their personal fields in plain text; once the subject is erased
  they read `"[erased]"` too, but their bytes cannot be rewritten (the hash chain).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    Mapper,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.utils import Environment, get_topic, resolve_topic

from domain.customer import ERASED, Customer, CustomerKind
from domain.employee import Employee
from interfaces.pg_rewrite import rewrite_tables
from projections.postgres import SHARED_POOL

ENVELOPE = "_erasable_"
KEYS_TABLE = "mops_subject_keys"
SECRETS_TABLE = "mops_deployment_secrets"
IDENTITY_SECRET = "identity"
# Events whose presence in a subject's stream means its key must be gone.
ERASURE_TOPICS = (get_topic(Customer.Erased), get_topic(Employee.Erased))
# At most this many databases' key stores stay open in one process (tests open many).
OPEN_STORES = 4
# At most this many living keys are kept in a process (32 bytes and a subject id each).
LIVING_KEYS_KEPT = 100_000


def _mapped(value: Any, parts: Sequence[str], change: Callable[[Any], Any]) -> Any:
    """A copy of `value` with `change` applied at the path (`*` each list item); no mutation."""
    if not parts:
        return value if value is None else change(value)
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [_mapped(item, rest, change) for item in value] if isinstance(value, list) else value
    if isinstance(value, dict) and head in value:
        return {**value, head: _mapped(value[head], rest, change)}
    return value


def _values_at(value: Any, parts: Sequence[str]) -> Iterator[Any]:
    if not parts:
        if value is not None:
            yield value
        return
    head, rest = parts[0], parts[1:]
    if head == "*" and isinstance(value, list):
        for item in value:
            yield from _values_at(item, rest)
    elif isinstance(value, dict) and head in value:
        yield from _values_at(value[head], rest)


def is_envelope(value: Any) -> bool:
    """True for a personal value as stored: encrypted for its subject."""
    return isinstance(value, dict) and len(value) == 1 and ENVELOPE in value


class KeyState(NamedTuple):
    """A subject's key, or why there is none: erased, or never made.

    `person`: the subject registered as a person (a customer's name is then personal).
    """

    secret: bytes | None
    erased: bool
    person: bool = False


class _Store:
    """One database's key tables, on one datastore of the library (its own connections)."""

    def __init__(self, env: Environment) -> None:
        # On the pool of the process's commands and queries, whichever application (the
        # one that writes, or the read side's reader) first needs the keys.
        self.factory = InfrastructureFactory.construct(
            Environment(env.name, {**env, SHARED_POOL: "y"})
        )
        self.datastore: Any = self.factory.datastore  # type: ignore[attr-defined]
        self.postgres = not str(type(self.datastore).__module__).endswith("sqlite")
        schema = getattr(self.datastore, "schema", "") if self.postgres else ""
        prefix = f'"{schema}".' if schema else ""
        self.keys = prefix + KEYS_TABLE
        self.secrets = prefix + SECRETS_TABLE
        self.events = prefix + (
            f"{(env.name or 'stored').lower()}_events" if self.postgres else "stored_events"
        )
        self._made = False
        self._making = threading.Lock()
        # The living keys read so far, and the log position up to which erasures are known.
        self._living: OrderedDict[str, KeyState] = OrderedDict()
        self._living_lock = threading.Lock()
        self._erasures_seen: int | None = None
        self.generation = 0
        self._position = "notification_id" if self.postgres else "rowid"

    @contextmanager
    def cursor(self, *, commit: bool) -> Iterator[Any]:
        """A cursor in a transaction of its own; `?` placeholders on both databases."""
        self.made()
        with self.datastore.transaction(commit=commit) as cursor:
            if not self.postgres:
                # Deleted and overwritten content is zeroed in the file, not left behind.
                cursor.execute("PRAGMA secure_delete=ON")
            yield _Portable(cursor, self.postgres)

    def made(self) -> None:
        """Create the key tables once, then destroy the keys of subjects erased already."""
        if self._made:
            return
        with self._making:
            if self._made:
                return
            statements = (
                f"CREATE TABLE IF NOT EXISTS {self.keys} (subject_id TEXT PRIMARY KEY, "
                "secret TEXT, person INTEGER NOT NULL, created_at TEXT NOT NULL, erased_at TEXT)",
                f"CREATE TABLE IF NOT EXISTS {self.secrets} (name TEXT PRIMARY KEY, "
                "secret TEXT NOT NULL)",
            )
            for statement in statements:
                try:
                    with self.datastore.transaction(commit=True) as cursor:
                        cursor.execute(statement)
                except (IntegrityError, ProgrammingError):
                    pass  # another process created it at the same moment
            self._made = True
        self.destroy_erased()

    def subject_param(self, subject: str) -> Any:
        """A subject id as the events table holds originator ids (SQLite: hex, no dashes)."""
        return UUID(subject) if self.postgres else UUID(subject).hex

    def destroy_erased(self) -> list[str]:
        """Destroy the keys still held by subjects whose erasure was saved; their ids."""
        cast = "CAST(k.subject_id AS uuid)" if self.postgres else "replace(k.subject_id, '-', '')"
        marks = ", ".join("?" for _ in ERASURE_TOPICS)
        with self.cursor(commit=False) as cursor:
            rows = cursor.all(
                f"SELECT k.subject_id FROM {self.keys} k WHERE k.secret IS NOT NULL AND "
                f"EXISTS (SELECT 1 FROM {self.events} e WHERE e.originator_id = {cast} "
                f"AND e.topic IN ({marks}))",
                ERASURE_TOPICS,
            )
        subjects = [row[0] for row in rows]
        for subject in subjects:
            self.destroy(subject)
        return subjects

    def destroy(self, subject: str) -> None:
        """Destroy a subject's key for good, leaving the mark that it was erased."""
        with self._living_lock:
            self._drop(subject)
        now = datetime.now(UTC).isoformat()
        with self.cursor(commit=True) as cursor:
            cursor.run(
                f"INSERT INTO {self.keys} (subject_id, secret, person, created_at, erased_at) "
                "VALUES (?, NULL, 0, ?, ?) ON CONFLICT (subject_id) DO UPDATE SET secret = NULL, "
                f"erased_at = COALESCE({self.keys}.erased_at, excluded.erased_at)",
                (subject, now, now),
            )
        if self.postgres:
            self._compact_keys()

    def _compact_keys(self) -> None:
        """PostgreSQL keeps an updated row's old version (here: the destroyed key) in the
        table's pages until they are reused; VACUUM FULL writes the table anew without it.
        The keys table is small: a rewrite takes milliseconds, once the snapshots older than
        the destruction have ended (interfaces/pg_rewrite.py)."""
        try:
            with self.datastore.get_connection() as connection:
                rewrite_tables(connection, [self.keys])
        except psycopg.Error as error:  # the key is destroyed; only the rewrite is missing
            logging.getLogger("mops.erasure").warning("keys table not compacted: %s", error)

    def state(self, subject: str, *, create: bool, person: bool = False) -> KeyState:
        """The subject's key (made when `create` and none exists), or why there is none."""
        with self._living_lock:
            known = self._living.get(subject)
        if known is not None:
            return known
        if self._erasures_seen is None:
            self.forget_erased()  # from here on, erasures are looked for past this position
        found = self._looked_up(subject, create=create, person=person)
        if found.secret is not None:
            with self._living_lock:
                self._living[subject] = found
                while len(self._living) > LIVING_KEYS_KEPT:
                    self._living.popitem(last=False)
        return found

    def forget_erased(self) -> int:
        """Drop the kept keys of subjects erased since the last look; the generation, which
        grows whenever a key is dropped (a cache of decrypted data keyed by it goes stale)."""
        marks = ", ".join("?" for _ in ERASURE_TOPICS)
        with self.cursor(commit=False) as cursor:
            [(head,)] = cursor.all(f"SELECT max({self._position}) FROM {self.events}", ())
            seen = self._erasures_seen
            erased = (
                cursor.all(
                    f"SELECT originator_id FROM {self.events} WHERE {self._position} > ? "
                    f"AND {self._position} <= ? AND topic IN ({marks})",
                    (seen, head, *ERASURE_TOPICS),
                )
                if seen is not None and head is not None and head > seen
                else []
            )
        with self._living_lock:
            if self._erasures_seen is None or (head or 0) > self._erasures_seen:
                self._erasures_seen = head or 0
            for (originator_id,) in erased:
                self._drop(str(UUID(str(originator_id))))
            return self.generation

    def _drop(self, subject: str) -> None:
        # Called holding the lock.
        self._living.pop(subject, None)
        self.generation += 1

    def _looked_up(self, subject: str, *, create: bool, person: bool) -> KeyState:
        # Made (when asked) and read in one transaction: a new subject costs one, not three.
        marks = ", ".join("?" for _ in ERASURE_TOPICS)
        with self.cursor(commit=create) as cursor:
            if create:
                cursor.run(
                    f"INSERT INTO {self.keys} (subject_id, secret, person, created_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (subject_id) DO NOTHING",
                    (subject, _new_secret(), int(person), datetime.now(UTC).isoformat()),
                )
            rows = cursor.all(
                f"SELECT k.secret, k.erased_at, k.person, EXISTS (SELECT 1 FROM {self.events} e "
                f"WHERE e.originator_id = ? AND e.topic IN ({marks})) "
                f"FROM (SELECT 1 AS one) o LEFT JOIN {self.keys} k ON k.subject_id = ?",
                (self.subject_param(subject), *ERASURE_TOPICS, subject),
            )
        secret, erased_at, is_person, erasure_saved = rows[0]
        if erasure_saved or erased_at is not None:
            if secret is not None or erased_at is None:
                self.destroy(subject)  # the erasure was saved, the key not yet destroyed
            return KeyState(None, erased=True, person=bool(is_person))
        if secret is not None:
            return KeyState(base64.b64decode(secret), erased=False, person=bool(is_person))
        return KeyState(None, erased=False)

    def secret(self, name: str) -> bytes:
        """A secret of the deployment, made when first asked for."""
        made = base64.b64encode(os.urandom(32)).decode()
        with self.cursor(commit=True) as cursor:
            cursor.run(
                f"INSERT INTO {self.secrets} (name, secret) VALUES (?, ?) "
                "ON CONFLICT (name) DO NOTHING",
                (name, made),
            )
        with self.cursor(commit=False) as cursor:
            [(secret,)] = cursor.all(f"SELECT secret FROM {self.secrets} WHERE name = ?", (name,))
        return base64.b64decode(secret)

    def living(self) -> list[dict[str, Any]]:
        """The keys of the subjects not erased, for an export."""
        with self.cursor(commit=False) as cursor:
            rows = cursor.all(
                f"SELECT subject_id, secret, person, created_at FROM {self.keys} "
                "WHERE secret IS NOT NULL AND erased_at IS NULL ORDER BY subject_id",
                (),
            )
        return [
            {"subject_id": s, "secret": k, "person": bool(p), "created_at": c}
            for s, k, p, c in rows
        ]

    def deployment_secrets(self) -> list[dict[str, str]]:
        """The deployment's secrets (the identity keys' HMAC secret), for an export."""
        with self.cursor(commit=False) as cursor:
            rows = cursor.all(f"SELECT name, secret FROM {self.secrets} ORDER BY name", ())
        return [{"name": n, "secret": k} for n, k in rows]

    def restore_secrets(self, secrets: Sequence[Mapping[str, Any]]) -> None:
        """The secrets of an export, replacing any made here (an import is into an empty
        log, so none has been used yet): identities keep the keys they were stored under."""
        with self.cursor(commit=True) as cursor:
            for secret in secrets:
                cursor.run(
                    f"INSERT INTO {self.secrets} (name, secret) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET secret = excluded.secret",
                    (str(secret["name"]), str(secret["secret"])),
                )

    def restore(self, keys: Sequence[Mapping[str, Any]]) -> None:
        """Keys of an export, into this database (a subject erased here stays erased)."""
        with self.cursor(commit=True) as cursor:
            for key in keys:
                cursor.run(
                    f"INSERT INTO {self.keys} (subject_id, secret, person, created_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (subject_id) DO NOTHING",
                    (key["subject_id"], key["secret"], int(key["person"]), key["created_at"]),
                )

    def close(self) -> None:
        # The factory closes its datastore, or gives back its share of the process's.
        self.factory.close()


def _new_secret() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


class _Portable:
    """A cursor taking `?` placeholders on both databases."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self.cursor = cursor
        self.postgres = postgres

    def run(self, statement: str, params: Sequence[Any]) -> None:
        if self.postgres:
            statement = statement.replace("?", "%s")
        self.cursor.execute(statement, list(params))

    def all(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        self.run(statement, params)
        return [
            tuple(row.values()) if isinstance(row, dict) else tuple(row)
            for row in self.cursor.fetchall()
        ]


_STORES: OrderedDict[tuple[str, ...], _Store] = OrderedDict()
_STORES_LOCK = threading.Lock()


def _database_of(env: Environment) -> tuple[str, ...]:
    names = ("PERSISTENCE_MODULE", "SQLITE_DBNAME", "POSTGRES_HOST", "POSTGRES_PORT")
    more = ("POSTGRES_DBNAME", "POSTGRES_SCHEMA")
    return (env.name, *(env.get(name) or "" for name in (*names, *more)))


def _store(env: Environment) -> _Store:
    """The process's store of one database's keys (a few stay open, the oldest closes)."""
    database = _database_of(env)
    with _STORES_LOCK:
        store = _STORES.get(database)
        if store is None:
            store = _STORES[database] = _Store(env)
            while len(_STORES) > OPEN_STORES:
                _STORES.popitem(last=False)[1].close()
        _STORES.move_to_end(database)
        return store


class SubjectKeys:
    """The data subjects' keys of the database an environment names (see the module doc).

    Built by the library as the infrastructure factory's cipher (`CIPHER_TOPIC`), so the
    mapper is handed it; it does not encrypt whole events.
    """

    def __init__(self, environment: Environment) -> None:
        self.environment = environment

    @property
    def store(self) -> _Store:
        return _store(self.environment)

    def state(self, subject: str, *, create: bool = False, person: bool = False) -> KeyState:
        """A subject's key, or why there is none; `person` is recorded with a new key."""
        return self.store.state(subject, create=create, person=person)

    def destroy(self, subject: str) -> None:
        """Destroy a subject's key for good."""
        self.store.destroy(subject)

    def destroy_erased(self) -> list[str]:
        """Destroy the keys of every subject whose erasure was saved (a repair)."""
        return self.store.destroy_erased()

    def forget_erased(self) -> int:
        """Drop kept keys of subjects erased since the last look; the erasure generation."""
        return self.store.forget_erased()

    def secret(self, name: str) -> bytes:
        """A secret of the deployment kept with the keys."""
        return self.store.secret(name)

    def living(self) -> list[dict[str, Any]]:
        """The keys of the living, for `mops export`; an erased subject has none."""
        return self.store.living()

    def restore(self, keys: Sequence[Mapping[str, Any]]) -> None:
        """Keys of an export, for `mops import`."""
        self.store.restore(keys)

    def deployment_secrets(self) -> list[dict[str, str]]:
        """The deployment's secrets, for `mops export`."""
        return self.store.deployment_secrets()

    def restore_secrets(self, secrets: Sequence[Mapping[str, Any]]) -> None:
        """The secrets of an export, for `mops import`."""
        self.store.restore_secrets(secrets)

    def encrypt(self, data: bytes) -> bytes:
        raise NotImplementedError("personal fields are encrypted by PersonalDataMapper")

    def decrypt(self, data: bytes) -> bytes:
        raise NotImplementedError("personal fields are decrypted by PersonalDataMapper")


def _seal(secret: bytes, subject: str, value: Any) -> dict[str, str]:
    nonce = os.urandom(12)
    plaintext = json.dumps(value, ensure_ascii=False).encode()
    sealed = nonce + AESGCM(secret).encrypt(nonce, plaintext, subject.encode())
    return {ENVELOPE: f"v1:{subject}:{base64.b64encode(sealed).decode()}"}


def _open(secret: bytes | None, envelope: Mapping[str, str]) -> Any:
    if secret is None:
        return ERASED
    _, subject, sealed = envelope[ENVELOPE].split(":", 2)
    raw = base64.b64decode(sealed)
    return json.loads(AESGCM(secret).decrypt(raw[:12], raw[12:], subject.encode()))


class Personal(NamedTuple):
    """Where an event keeps personal fields, and which they are."""

    container: str | None  # "state" for a snapshot's aggregate state, else None
    holder: Mapping[str, Any]
    always: tuple[str, ...]  # `personal_fields`
    person: tuple[str, ...]  # `person_fields`: personal when the subject is a person

    def person_known(self) -> bool | None:
        """Whether the subject is a person, if the event or state says (its `kind`)."""
        if "kind" not in self.holder:
            return None
        return bool(self.holder["kind"] == CustomerKind.PERSON)

    def values(self, paths: tuple[str, ...]) -> list[Any]:
        """The values at the paths that are neither None nor ERASED."""
        found = (v for path in paths for v in _values_at(self.holder, path.split(".")))
        return [v for v in found if v != ERASED]


def personal(event: Any) -> Personal:
    """The personal fields an event's class (a snapshot's aggregate class) declares."""
    state = vars(event)
    container, holder, cls = None, state, type(event)
    if isinstance(event, Snapshot) or (isinstance(state.get("state"), dict) and "topic" in state):
        container, holder = "state", state["state"]
        try:
            cls = resolve_topic(state["topic"])
        except (KeyError, ValueError, ImportError):
            return Personal(container, holder, (), ())
    always = getattr(cls, "personal_fields", ())
    return Personal(container, holder, always, getattr(cls, "person_fields", ()))


def _rewrite(event: Any, found: Personal, changes: Mapping[str, Callable[[Any], Any]]) -> Any:
    """A copy of the event whose value at each path is changed by that path's function."""
    holder: Any = found.holder
    for path, change in changes.items():
        holder = _mapped(holder, path.split("."), change)
    state = dict(vars(event))
    if found.container:
        state[found.container] = holder
    else:
        state = dict(holder)
    copy = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", state)
    return copy


class PersonalDataMapper(Mapper[UUID]):
    """The library's mapper, storing each personal field encrypted for its data subject.

    Named by `MAPPER_TOPIC`; given `SubjectKeys` as its cipher (see the module doc).
    """

    def __init__(self, transcoder: Any, compressor: Any = None, cipher: Any = None) -> None:
        super().__init__(transcoder=transcoder, compressor=compressor, cipher=None)
        self.keys: SubjectKeys | None = cipher if isinstance(cipher, SubjectKeys) else None
        self._identity_secret: bytes | None = None

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        """The stored event, its personal fields sealed with the subject's key."""
        found = personal(domain_event)
        person = found.person_known()
        always = [v for v in found.values(found.always) if not is_envelope(v)]
        maybe = [v for v in found.values(found.person) if not is_envelope(v)]
        if self.keys is None or not (always or (maybe and person is not False)):
            return super().to_stored_event(domain_event)
        subject = str(domain_event.originator_id)
        # A new aggregate whose kind the event says has no key yet: make it at once.
        first = domain_event.originator_version == 1 and person is not None
        key = self.keys.state(subject, create=first, person=bool(person))
        if person is None:
            person = key.person  # the kind the subject registered with
        if not (always or (maybe and person)):
            return super().to_stored_event(domain_event)
        if key.secret is None and not key.erased:
            key = self.keys.state(subject, create=True, person=person)
        secret = key.secret

        def seal(value: Any) -> Any:
            if value == ERASED or is_envelope(value):
                return value
            return ERASED if secret is None else _seal(secret, subject, value)

        paths = found.always + (found.person if person else ())
        return super().to_stored_event(_rewrite(domain_event, found, dict.fromkeys(paths, seal)))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """The domain event, its personal fields opened, or ERASED once erased."""
        event = super().to_domain_event(stored_event)
        found = personal(event)
        if self.keys is None or not found.values(found.always + found.person):
            return event
        key = self.keys.state(str(stored_event.originator_id))
        person = found.person_known()
        masked = key.erased and (key.person if person is None else person)

        def opened(value: Any) -> Any:
            if is_envelope(value):
                return _open(key.secret, value)
            return ERASED if key.erased else value  # stored before encryption existed

        def opened_if_person(value: Any) -> Any:
            if is_envelope(value):
                return _open(key.secret, value)
            return ERASED if masked else value

        changes = {
            **dict.fromkeys(found.person, opened_if_person),
            **dict.fromkeys(found.always, opened),
        }
        return _rewrite(event, found, changes)

    def erasure_generation(self) -> int:
        """See `forget_erased_keys`."""
        return self.keys.forget_erased() if self.keys is not None else 0

    def pseudonym(self, text: str) -> str:
        """A keyed digest of personal text (an identity key for duplicate detection)."""
        if self._identity_secret is None:
            self._identity_secret = (
                self.keys.secret(IDENTITY_SECRET) if self.keys is not None else b"mops"
            )
        return hmac.new(self._identity_secret, text.encode(), hashlib.sha256).hexdigest()


def forget_erased_keys(mapper: object) -> int:
    """Before reading old events of subjects that may have been erased since: drop the keys
    this process kept for them. The erasure generation (0 without personal data keys)."""
    if isinstance(mapper, PersonalDataMapper):
        return mapper.erasure_generation()
    return 0


def destroy_key(mapper: object, subject_id: UUID) -> None:
    """Destroy a data subject's key once its erasure is saved (the erase routes call it)."""
    if isinstance(mapper, PersonalDataMapper) and mapper.keys is not None:
        mapper.keys.destroy(str(subject_id))


def mapper_env() -> dict[str, str]:
    """The library's environment naming this mapper and its keys."""
    return {
        "MAPPER_TOPIC": get_topic(PersonalDataMapper),
        "CIPHER_TOPIC": get_topic(SubjectKeys),
    }
