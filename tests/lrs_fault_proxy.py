"""A small HTTP proxy for tests that sits between the tool and a real LRS and injects faults.

Every ``every``-th POST gets the next fault of ``faults`` (round robin); everything else is
forwarded unchanged. Faults: ``503`` and ``429`` (with Retry-After) answered without
forwarding; ``reset`` (connection reset before forwarding); ``reset-after`` and ``slow``
(forwarded, so the LRS stores the statements, then the answer is lost or comes after the
client's timeout); ``503-after`` (stored, then a gateway error). ``max_statements`` answers
413 to larger POSTs, like a body-size limit in front of an LRS. ``fail_after`` makes every
POST after that many answer 503 (an LRS that went away).
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        every: int = 0,
        faults: tuple[str, ...] = ("503", "429", "reset", "reset-after", "slow", "503-after"),
        slow_seconds: float = 1.5,
        retry_after: str = "1",
        max_statements: int | None = None,
        fail_after: int | None = None,
    ) -> None:
        self.upstream_port = upstream_port
        self.every = every
        self.faults = faults
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.max_statements = max_statements
        self.fail_after = fail_after
        self.posts = 0
        self.injected: Counter[str] = Counter()
        self.timeline: list[tuple[float, str | None]] = []  # (monotonic time, fault) for each POST
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/xAPI/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _fault_for(self, body: bytes) -> str | None:
        with self._lock:
            self.posts += 1
            n = self.posts
            fault = None
            if self.fail_after is not None and n > self.fail_after:
                fault = "503"
            elif self.max_statements is not None and len(json.loads(body)) > self.max_statements:
                fault = "413"
            elif self.every and n % self.every == 0:
                fault = self.faults[(n // self.every - 1) % len(self.faults)]
            if fault:
                self.injected[fault] += 1
            self.timeline.append((time.monotonic(), fault))
            return fault

    def _forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(method, path, body=body or None, headers=sent)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                self._reply(*proxy._forward("GET", self.path, self.headers, b""))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fault = proxy._fault_for(body)
                if fault == "503":
                    return self._reply(503, [], b"injected")
                if fault == "413":
                    return self._reply(413, [], b"request entity too large (injected)")
                if fault == "429":
                    return self._reply(429, [("Retry-After", proxy.retry_after)], b"slow down")
                if fault == "reset":
                    return self._reset()
                answer = proxy._forward("POST", self.path, self.headers, body)
                if fault == "reset-after":
                    return self._reset()
                if fault == "503-after":
                    return self._reply(503, [], b"injected after forwarding")
                if fault == "slow":
                    time.sleep(proxy.slow_seconds)
                self._reply(*answer)

            def _reply(self, status: int, headers: list, body: bytes) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers:
                        if key.lower() not in HOP_BY_HOP:
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (a slow answer): nothing to do
                    self.close_connection = True

            def _reset(self) -> None:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

        return Handler
