"""ClickHouse access for every command: embedded chDB or a server over HTTP, one client API."""

from .connection import DEFAULT_DEST, ClickHouse, open_clickhouse

__all__ = ["DEFAULT_DEST", "ClickHouse", "open_clickhouse"]
