"""One client for both ClickHouse flavours, through clickhouse-connect.

``chdb:PATH`` is the embedded engine (chDB) keeping its data in PATH: only one process may
open a data directory at a time. ``clickhouse://[USER@]HOST[:PORT][/?secure=true]`` is a
server over HTTP; its password comes from ``CLICKHOUSE_PASSWORD`` only, so it never shows in
a process list or a log.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import BackfillError, UsageError

DEFAULT_DEST = "chdb:./aspects-data"
# chDB data directories this process has open (the engine is shared by clients on one path):
# the lock probe below would otherwise mistake our own lock for another process's.
_OPEN_HERE: Counter[str] = Counter()


@dataclass
class ClickHouse:
    """A connected client plus where it points (for messages; never holds the password)."""

    client: Any
    where: str
    embedded: bool

    def query(self, sql: str, parameters: dict | None = None) -> list[tuple]:
        return self.client.query(sql, parameters=parameters).result_rows

    def command(self, sql: str, parameters: dict | None = None) -> Any:
        return self.client.command(sql, parameters=parameters)

    def insert(self, table: str, rows: list[list], columns: list[str]) -> None:
        self.client.insert(table, rows, column_names=columns)

    def raw_insert(self, table: str, columns: list[str] | None, data: bytes, fmt: str) -> None:
        self.client.raw_insert(table, columns, insert_block=data, fmt=fmt)

    def raw_query(self, sql: str, fmt: str) -> bytes:
        return self.client.raw_query(sql, fmt=fmt)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.embedded and _OPEN_HERE[self.where] > 0:
            _OPEN_HERE[self.where] -= 1


def is_clickhouse_dest(dest: str | None) -> bool:
    return dest is None or dest.startswith(("chdb:", "clickhouse://", "clickhouses://"))


def open_clickhouse(dest: str | None = None) -> ClickHouse:
    """Connect to ``dest`` (default: the embedded directory ``./aspects-data``)."""
    dest = dest or DEFAULT_DEST
    if dest.startswith("chdb:"):
        return _open_chdb(dest[len("chdb:") :] or "./aspects-data")
    if dest.startswith(("clickhouse://", "clickhouses://")):
        return _open_server(dest)
    raise UsageError(f"not a ClickHouse destination: {dest}")


def _open_chdb(path: str) -> ClickHouse:
    import clickhouse_connect

    path = os.path.abspath(path)
    os.makedirs(path, exist_ok=True)
    where = f"chdb:{path}"
    if not _OPEN_HERE[where] and _locked_by_another_process(path):
        raise BackfillError(_in_use_message(path))
    try:
        client = clickhouse_connect.get_client(interface="chdb", path=path)
    except Exception as exc:
        text = str(exc)
        if (not _OPEN_HERE[where] and _locked_by_another_process(path)) or "Cannot lock file" in text:
            raise BackfillError(_in_use_message(path)) from exc
        if "another" in text.lower() and "path" in text.lower():  # one chDB path per process
            raise BackfillError(f"this process already has another embedded ClickHouse open: {text}") from exc
        raise BackfillError(f"cannot open the embedded ClickHouse in {path}: {text.splitlines()[0]}") from exc
    _OPEN_HERE[where] += 1
    return ClickHouse(client=client, where=where, embedded=True)


def _in_use_message(path: str) -> str:
    return (
        f"the embedded ClickHouse directory {path} is in use by another process (chDB allows one "
        "process per data directory); wait for that process to finish or stop it, "
        "or pass another --to chdb:PATH"
    )


def _locked_by_another_process(path: str) -> bool:
    """ClickHouse holds an exclusive flock on ``PATH/status`` while a process uses the directory."""
    status = os.path.join(path, "status")
    if not os.path.exists(status):
        return False
    try:
        fd = os.open(status, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _open_server(dest: str) -> ClickHouse:
    import clickhouse_connect

    url = urlsplit(dest)
    if url.password:
        raise UsageError("do not put the password in the URL; set CLICKHOUSE_PASSWORD instead")
    query = parse_qs(url.query)
    secure = url.scheme == "clickhouses" or query.get("secure", ["false"])[0].lower() in ("1", "true", "yes")
    host = url.hostname or "localhost"
    port = url.port or (8443 if secure else 8123)
    user = url.username or "default"
    where = f"clickhouse://{user}@{host}:{port}"
    try:
        client = clickhouse_connect.get_client(
            host=host,
            port=port,
            username=user,
            password=os.environ.get("CLICKHOUSE_PASSWORD", ""),
            secure=secure,
            compress=query.get("compress", ["true"])[0].lower() in ("1", "true", "yes"),
        )
    except Exception as exc:
        raise BackfillError(f"cannot connect to {where}: {str(exc).splitlines()[0]}") from exc
    return ClickHouse(client=client, where=where, embedded=False)
