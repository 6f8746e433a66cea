"""A test double of ClickHouse's HTTP interface over the chDB engine (tests only, never shipped).

No modern ClickHouse server installs on these machines; this serves the subset of the HTTP
protocol clickhouse-connect uses, with the real engine behind it (no sessions, no ``database``
parameter: every query this project sends names its tables in full): the query in the ``query``
parameter and/or the body (an INSERT's data follows it), ``param_*`` query parameters, settings
as URL parameters, compressed request bodies, the exception code header, and the password
(``X-ClickHouse-Key`` or basic auth) checked against ``--password-env``.

Run: ``python chdb_http.py DATA_DIR [--password-env VAR] [--deny-ddl] [--deny WORD]``; it prints its port and serves on
127.0.0.1 until killed. ``POST /__drop?n=N`` makes it close the next N connections unanswered
(a lost connection, for retry tests).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import os
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

TRANSPORT = {
    "query",
    "database",
    "default_format",
    "compress",
    "decompress",
    "enable_http_compression",
    "session_id",
    "session_timeout",
    "session_check",
    "query_id",
    "wait_end_of_query",
    "send_progress_in_http_headers",
    "http_headers_progress_interval_ms",
    "user",
    "password",
    "client_protocol_version",
    "role",
    "quota_key",
    "buffer_size",
}


def _decompress(data: bytes, encoding: str) -> bytes:
    if encoding in ("", "identity"):
        return data
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "lz4":
        import lz4.frame

        return lz4.frame.decompress(data)
    if encoding == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    raise ValueError(f"unsupported Content-Encoding {encoding}")


class Engine:
    """One chDB session, one request at a time (settings are applied and restored per request)."""

    def __init__(self, path: str, password: str) -> None:
        from chdb import session

        self.session = session.Session(path)
        self.password = password
        self.lock = threading.Lock()
        self.drop_next = 0
        self.deny: tuple[str, ...] = ()  # statements refused with ACCESS_DENIED (a limited user)
        rows = self.session.query("SELECT name FROM system.settings", "TSV").bytes().decode()
        self.known_settings = set(rows.split())

    def run(self, sql: str, fmt: str, settings: dict[str, str], params: dict[str, str]) -> bytes:
        with self.lock:
            saved = {}
            for key, value in settings.items():
                old = self.session.query(
                    f"SELECT value FROM system.settings WHERE name = '{key}'", "TSV"
                ).bytes()
                saved[key] = old.decode().rstrip("\n")
                self.session.query(f"SET {key} = '{_quote(value)}'")
            try:
                result = self.session.query(sql, fmt, params=params)
                return result.bytes() or b""
            finally:
                for key, value in saved.items():
                    self.session.query(f"SET {key} = '{_quote(value)}'")


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class Handler(BaseHTTPRequestHandler):
    engine: Engine
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = self.rfile.read(length) if length else b""
        self._handle(body)

    def _read_chunked(self) -> bytes:
        out = bytearray()
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline()

    def _handle(self, body: bytes) -> None:
        url = urlsplit(self.path)
        if url.path == "/ping":
            return self._reply(200, b"Ok.\n")
        if url.path == "/__drop":
            self.engine.drop_next = int(dict(parse_qsl(url.query)).get("n", "1"))
            return self._reply(200, b"")
        if self.engine.drop_next > 0:
            self.engine.drop_next -= 1
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        if not self._authorised():
            return self._reply(
                516,
                b"Code: 516. DB::Exception: default: Authentication failed. (AUTHENTICATION_FAILED)\n",
                516,
            )
        try:
            body = _decompress(body, self.headers.get("Content-Encoding", "").lower())
        except Exception as exc:
            return self._reply(400, f"Code: 1. DB::Exception: {exc}\n".encode(), 1)
        args = dict(parse_qsl(url.query, keep_blank_values=True))
        sql = args.get("query", "")
        sql = f"{sql}\n{body.decode('utf-8', 'surrogateescape')}" if sql and body else sql or body.decode()
        params = {k[len("param_") :]: v for k, v in args.items() if k.startswith("param_")}
        settings = {
            k: v
            for k, v in args.items()
            if k not in TRANSPORT and not k.startswith("param_") and k in self.engine.known_settings
        }
        if self.engine.deny and sql.lstrip().upper().startswith(self.engine.deny):
            text = "Code: 497. DB::Exception: default: Not enough privileges. (ACCESS_DENIED)\n"
            return self._reply(500, text.encode(), 497)
        try:
            data = self.engine.run(sql, args.get("default_format") or "TabSeparated", settings, params)
        except Exception as exc:
            text = str(exc)
            code = text.split("Code: ", 1)[1].split(".", 1)[0] if "Code: " in text else "1"
            return self._reply(500, (text.strip() + "\n").encode(), int(code) if code.isdigit() else 1)
        return self._reply(200, data)

    def _authorised(self) -> bool:
        given = self.headers.get("X-ClickHouse-Key")
        auth = self.headers.get("Authorization", "")
        if given is None and auth.startswith("Basic "):
            given = base64.b64decode(auth[6:]).decode().partition(":")[2]
        return (given or "") == self.engine.password

    def _reply(self, status: int, data: bytes, code: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-ClickHouse-Timezone", "UTC")
        self.send_header("X-ClickHouse-Server-Display-Name", "chdb-http-double")
        if code is not None:
            self.send_header("X-ClickHouse-Exception-Code", str(code))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--password-env", default="")
    parser.add_argument(
        "--deny-ddl", action="store_true", help="refuse CREATE/ALTER/DROP (a loading-only user)"
    )
    parser.add_argument(
        "--deny", action="append", default=[], help="refuse statements starting with this word"
    )
    args = parser.parse_args()
    Handler.engine = Engine(args.path, os.environ.get(args.password_env, "") if args.password_env else "")
    Handler.engine.deny = tuple(w.upper() for w in args.deny) + (
        ("CREATE", "ALTER", "DROP") if args.deny_ddl else ()
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
