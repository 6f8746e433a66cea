"""The LMS database (MySQL or MariaDB) as edx-platform lays it out, read through PyMySQL.

``mysql://USER@HOST[:PORT]/DB[?unix_socket=PATH|ssl=true|ssl_ca=PATH]`` (TLS with the system's
or the given CAs, host name checked); the password comes from
``MYSQL_PASSWORD`` only, so it never shows in a process list or a log. Sessions are
read-only unless the caller asks to write (``--write-lms``), so a mistake cannot change the LMS.

Tables (edx-platform): ``auth_user``; ``external_user_ids_externalidtype`` /
``external_user_ids_externalid`` (+ ``..._historicalexternalid``, django-simple-history);
``course_overviews_courseoverview``. ``external_user_id`` is ``char(32)`` (hex, no dashes)
on MySQL and older MariaDB installs, MariaDB's native ``uuid`` after edx-platform's
migration 0009; both are read and written.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import BackfillError, UsageError

XAPI_TYPE = "xapi"
EXTERNAL_ID = "external_user_ids_externalid"
HISTORICAL_EXTERNAL_ID = "external_user_ids_historicalexternalid"
ID_TYPE = "external_user_ids_externalidtype"

# Both storages of the UUID to its canonical text, computed by the server (1M rows: no Python).
_CANONICAL_UUID = (
    "LOWER(INSERT(INSERT(INSERT(INSERT(REPLACE(CAST({col} AS CHAR), '-', ''),"
    " 9, 0, '-'), 14, 0, '-'), 19, 0, '-'), 24, 0, '-'))"
)
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_ER_DUP_ENTRY = 1062


def is_lms_url(spec: str | None) -> bool:
    return bool(spec) and spec.startswith("mysql://")


@dataclass(frozen=True)
class LmsAddress:
    user: str
    host: str
    port: int
    database: str
    unix_socket: str | None = None
    tls_ca: str | None = None  # "" = TLS with the system's CAs

    @property
    def where(self) -> str:
        """For messages: never contains the password."""
        place = self.unix_socket or f"{self.host}:{self.port}"
        return f"mysql://{self.user}@{place}/{self.database}"


def parse_lms_url(spec: str) -> LmsAddress:
    url = urlsplit(spec)
    if url.scheme != "mysql":
        raise UsageError(f"not an LMS database URL (mysql://USER@HOST[:PORT]/DB): {spec}")
    if url.password is not None:
        raise UsageError("do not put the password in the URL; set MYSQL_PASSWORD instead")
    database = unquote(url.path.lstrip("/"))
    if not url.username or not database or "/" in database:
        raise UsageError("the LMS database URL needs a user and a database: mysql://USER@HOST[:PORT]/DB")
    try:
        port = url.port or 3306
    except ValueError as exc:
        raise UsageError(f"bad port in {url.scheme}://{url.username}@{url.netloc.split('@')[-1]}") from exc
    query = parse_qs(url.query)
    unknown = set(query) - {"unix_socket", "ssl", "ssl_ca"}
    if unknown:
        raise UsageError(f"unknown LMS database URL option(s): {', '.join(sorted(unknown))}")
    socket = query.get("unix_socket", [None])[0]
    tls_ca = query.get("ssl_ca", [None])[0]
    if tls_ca is None and query.get("ssl", ["false"])[0].lower() in ("1", "true", "yes"):
        tls_ca = ""
    return LmsAddress(unquote(url.username), url.hostname or "localhost", port, database, socket, tls_ca)


def utc_now_naive() -> datetime:
    """How Django stores an aware datetime in MySQL (USE_TZ=True): naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class Lms:
    """One connection to the LMS database; read-only unless ``writable``."""

    def __init__(self, address: LmsAddress, writable: bool = False) -> None:
        import ssl

        import pymysql

        self.address = address
        self.writable = writable
        try:
            self.conn = pymysql.connect(
                host=address.host,
                port=address.port,
                user=address.user,
                password=os.environ.get("MYSQL_PASSWORD", ""),
                database=address.database,
                unix_socket=address.unix_socket,
                ssl=None
                if address.tls_ca is None
                else ssl.create_default_context(cafile=address.tls_ca or None),
                charset="utf8mb4",
                connect_timeout=15,
                autocommit=True,
                # run again on every reconnect, so a new session is never writable by accident;
                # READ COMMITTED: a row the LMS commits during the run is seen by the next query
                init_command="SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"
                + ("" if writable else ", READ ONLY"),
            )
        except (pymysql.MySQLError, OSError) as exc:
            hint = "" if "MYSQL_PASSWORD" in os.environ else " (MYSQL_PASSWORD is not set)"
            raise BackfillError(
                f"cannot connect to the LMS database {address.where}: {_reason(exc)}{hint}"
            ) from exc
        self._uuid_is_char: bool | None = None
        self._xapi_type_id: int | None = None
        self._has_history: bool | None = None

    # ------------------------------------------------------------ queries

    def query(self, sql: str, args: Any = None) -> list[tuple]:
        """One statement; if the server dropped an idle connection (hours-long runs), reconnect once."""
        import pymysql

        for attempt in (1, 2):
            try:
                with self.conn.cursor() as cur:
                    cur.execute(sql, args)
                    return list(cur.fetchall())
            except pymysql.MySQLError as exc:
                if attempt == 1 and _connection_lost(exc):
                    with contextlib.suppress(Exception):
                        self.conn.close()
                    with contextlib.suppress(pymysql.MySQLError):
                        self.conn.connect()  # same parameters, init_command included
                    continue
                raise BackfillError(f"LMS database {self.address.where}: {_reason(exc)}") from exc
        raise AssertionError("unreachable")

    def stream(self, sql: str, args: Any = None, chunk: int = 20_000) -> Iterator[tuple]:
        """Rows as the server sends them (unbuffered): a million rows never sit in memory twice."""
        import pymysql
        from pymysql.cursors import SSCursor

        try:
            with self.conn.cursor(SSCursor) as cur:
                cur.execute(sql, args)
                while rows := cur.fetchmany(chunk):
                    yield from rows
        except pymysql.MySQLError as exc:
            raise BackfillError(f"LMS database {self.address.where}: {_reason(exc)}") from exc

    def require_tables(self, *tables: str) -> None:
        present = {
            row[0]
            for row in self.query(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
            )
        }
        missing = [t for t in tables if t not in present]
        if missing:
            raise BackfillError(
                f"the LMS database {self.address.where} has no table {', '.join(missing)}: "
                "is this the LMS (edx-platform) database?"
            )

    def xapi_type_id(self) -> int | None:
        if self._xapi_type_id is None:
            rows = self.query(f"SELECT id FROM {ID_TYPE} WHERE name = %s", (XAPI_TYPE,))
            self._xapi_type_id = rows[0][0] if rows else None
        return self._xapi_type_id

    def stream_xapi_ids(
        self, span: int = 50_000, names: bool = True
    ) -> Iterator[tuple[int, str | None, str]]:
        """(user_id, username or None, external_user_id text) for every learner with an xAPI id.

        Read in user-id ranges, each range as one text the server joins (GROUP_CONCAT): a
        row-per-learner protocol costs ~7 µs a row in PyMySQL, this ~1 µs. A range whose text
        does not split cleanly (a tab or newline in a username) is read again row by row.
        """
        type_id = self.xapi_type_id()
        if type_id is None:
            return
        low, high = self.query(
            f"SELECT MIN(user_id), MAX(user_id) FROM {EXTERNAL_ID} WHERE external_id_type_id = %s", (type_id,)
        )[0]
        if low is None:
            return
        self.query("SET SESSION group_concat_max_len = 1073741824")
        ext = _CANONICAL_UUID.format(col="e.external_user_id")
        if names:
            columns, tables = (
                f"u.id, u.username, {ext}",
                f"{EXTERNAL_ID} e JOIN auth_user u ON u.id = e.user_id",
            )
        else:  # CONCAT_WS skips the NULL: two fields per line
            columns, tables = f"e.user_id, NULL, {ext}", f"{EXTERNAL_ID} e"
        fields = 3 if names else 2
        where = "WHERE e.external_id_type_id = %s AND e.user_id >= %s AND e.user_id < %s"
        joined = f"SELECT COUNT(*), GROUP_CONCAT(CONCAT_WS('\\t', {columns}) SEPARATOR '\\n') FROM {tables} {where}"
        for start in range(low, high + 1, span):
            args = (type_id, start, start + span)
            count, text = self.query(joined, args)[0]
            if not count:
                continue
            rows = [line.split("\t") for line in text.split("\n")] if text else []
            if len(rows) != count or any(len(r) != fields for r in rows):
                yield from self.query(f"SELECT {columns} FROM {tables} {where}", args)
            elif names:
                for uid, name, external in rows:
                    yield int(uid), name, external
            else:
                for uid, external in rows:
                    yield int(uid), None, external

    def stream_course_names(self) -> Iterator[tuple[str, str | None]]:
        return self.stream("SELECT id, display_name FROM course_overviews_courseoverview")

    def users_by_id(self, user_id: int) -> list[tuple[int, str]]:
        return self.query("SELECT id, username FROM auth_user WHERE id = %s", (user_id,))

    def users_by_names(self, names: list[str]) -> list[tuple[int, str]]:
        """Users whose username matches one of ``names`` under the database's collation (as Django asks)."""
        marks = ", ".join(["%s"] * len(names))
        return self.query(
            f"SELECT id, username FROM auth_user WHERE username IN ({marks}) ORDER BY id", names
        )

    def xapi_id_of(self, user_id: int) -> str | None:
        ext = _CANONICAL_UUID.format(col="e.external_user_id")
        rows = self.query(
            f"SELECT {ext} FROM {EXTERNAL_ID} e JOIN {ID_TYPE} t ON t.id = e.external_id_type_id "
            "WHERE e.user_id = %s AND t.name = %s",
            (user_id, XAPI_TYPE),
        )
        return rows[0][0] if rows else None

    # ------------------------------------------------------------ writing

    def _column_facts(self) -> None:
        if self._uuid_is_char is not None:
            return
        rows = self.query(
            "SELECT TABLE_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME IN (%s, %s) AND COLUMN_NAME = 'external_user_id'",
            (EXTERNAL_ID, HISTORICAL_EXTERNAL_ID),
        )
        types = dict(rows)
        self._uuid_is_char = types.get(EXTERNAL_ID, "char").lower() != "uuid"
        self._has_history = HISTORICAL_EXTERNAL_ID in types

    def insert_xapi_id(self, user_id: int, external_id: str) -> bool:
        """Insert the learner's xAPI id as ``ExternalId.add_new_user_id`` would, in one transaction.

        Returns False, inserting nothing, when the unique constraint on (user, type) says the
        LMS already has one; the caller then reads and uses that one. Writes the
        django-simple-history row too when the table exists, as a save through the ORM does.
        """
        import pymysql

        if not self.writable:
            raise BackfillError("internal: the LMS connection is read-only")
        type_id = self.xapi_type_id()
        if type_id is None:
            raise BackfillError(
                f"the LMS database {self.address.where} has no '{XAPI_TYPE}' external id type "
                "(edx-platform migration external_user_ids 0005 creates it)"
            )
        self._column_facts()
        stored = external_id.replace("-", "") if self._uuid_is_char else external_id
        now = utc_now_naive()
        try:
            with self.conn.cursor() as cur:
                cur.execute("START TRANSACTION")
                cur.execute(
                    f"INSERT INTO {EXTERNAL_ID} (created, modified, external_user_id, external_id_type_id, user_id) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    (now, now, stored, type_id, user_id),
                )
                new_pk = cur.lastrowid
                if self._has_history:
                    cur.execute(
                        f"INSERT INTO {HISTORICAL_EXTERNAL_ID} (id, created, modified, external_user_id, "
                        "history_date, history_change_reason, history_type, external_id_type_id, "
                        "history_user_id, user_id) VALUES (%s, %s, %s, %s, %s, NULL, '+', %s, NULL, %s)",
                        (new_pk, now, now, stored, now, type_id, user_id),
                    )
                cur.execute("COMMIT")
        except pymysql.err.IntegrityError as exc:
            with contextlib.suppress(pymysql.MySQLError):
                self.conn.rollback()
            if exc.args and exc.args[0] == _ER_DUP_ENTRY:
                return False
            raise BackfillError(f"LMS database {self.address.where}: {_reason(exc)}") from exc
        except pymysql.MySQLError as exc:
            with contextlib.suppress(pymysql.MySQLError):
                self.conn.rollback()
            raise BackfillError(f"LMS database {self.address.where}: {_reason(exc)}") from exc
        return True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def _connection_lost(exc: Exception) -> bool:
    import pymysql

    if isinstance(exc, pymysql.err.InterfaceError):
        return True
    code = exc.args[0] if exc.args else None
    return isinstance(exc, pymysql.err.OperationalError) and code in (2006, 2013, 2055)


def _reason(exc: Exception) -> str:
    """The server's message without the password (PyMySQL never echoes it, but be sure)."""
    text = str(exc.args[1]) if len(getattr(exc, "args", ())) > 1 else str(exc)
    password = os.environ.get("MYSQL_PASSWORD")
    if password:
        text = text.replace(password, "***")
    return text.splitlines()[0] if text else type(exc).__name__
