"""A real S3 endpoint for tests: moto in server mode on 127.0.0.1, and a TCP proxy in front of
it that can cut a download connection after a number of response bytes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import boto3
from moto.server import ThreadedMotoServer

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto S3 server (stopped afterwards). Servers in one process share
    moto's in-memory store: give every test its own bucket names."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


class CuttingProxy:
    """Forwards TCP to ``upstream``; the first ``cuts`` GET responses for a key containing
    ``marker`` are cut (both sockets closed) after ``after_bytes`` bytes."""

    def __init__(self, upstream: str, marker: bytes, after_bytes: int, cuts: int) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.marker, self.after_bytes = marker, after_bytes
        self.cuts_left = cuts
        self.cuts_done = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            up = socket.create_connection(self.upstream)
            armed = threading.Event()
            threading.Thread(target=self._requests, args=(conn, up, armed), daemon=True).start()
            threading.Thread(target=self._responses, args=(up, conn, armed), daemon=True).start()

    def _requests(self, src: socket.socket, dst: socket.socket, armed: threading.Event) -> None:
        try:
            while data := src.recv(65536):
                if b"GET /" in data and self.marker in data:
                    with self._lock:
                        if self.cuts_left > 0:
                            self.cuts_left -= 1
                            armed.set()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(dst)

    def _responses(self, src: socket.socket, dst: socket.socket, armed: threading.Event) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if armed.is_set():
                    room = self.after_bytes - sent
                    if len(data) >= room:
                        dst.sendall(data[: max(room, 0)])
                        with self._lock:
                            self.cuts_done += 1
                        return
                    sent += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(dst)
            _close(src)

    def close(self) -> None:
        self._stopping = True
        _close(self._listener)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
