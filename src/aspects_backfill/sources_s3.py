"""``s3://BUCKET/PREFIX`` sources: list every object under a prefix and stream it, resuming drops.

Uses boto3, so credentials and region come the standard AWS ways (environment, shared
profile, instance or pod role) and ``AWS_ENDPOINT_URL_S3`` works as well as
``--source-endpoint`` for S3-compatible stores (MinIO, Ceph, GCS's XML API, ...).

A connection that drops mid-object (the failure that ends ERB's long runs) is resumed by
``ResumableObject``: a raw stream that sits below the decompressor and re-opens the object
with a ranged GET from the byte it stopped at, pinned to the object's ETag, a bounded number
of times in a row.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from dataclasses import dataclass
from typing import Any

from .errors import BackfillError, UsageError
from .sources import SourceObject

log = logging.getLogger("aspects_backfill")


@dataclass(frozen=True)
class S3Settings:
    """How to reach the store; ``None`` fields fall back to boto3's standard lookup."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    max_retries: int = 5  # failed reads in a row (no byte in between) before giving up
    max_resumes: int = 100  # resumes of one object in all before giving up
    backoff_seconds: float = 0.5  # first wait; doubles each retry, at most 30 s
    read_timeout: float = 60.0


def split_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://BUCKET[/PREFIX]``; the prefix matches key beginnings."""
    if not url.startswith("s3://"):
        raise UsageError(f"unsupported source: {url} (object stores: s3://BUCKET/PREFIX)")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise UsageError(f"no bucket in {url}")
    return bucket, prefix


def make_client(settings: S3Settings) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name=settings.region,
    )
    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=20,
        read_timeout=settings.read_timeout,
    )
    return session.client("s3", endpoint_url=settings.endpoint_url, config=config)


def list_objects(url: str, settings: S3Settings, client: Any = None) -> list[SourceObject]:
    """Every object whose key starts with the prefix, in key order (all listing pages)."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = split_url(url)
    client = client or make_client(settings)
    found: list[SourceObject] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/") and item["Size"] == 0:
                    continue  # a "folder" marker, not a log
                found.append(_source(client, bucket, key, item["Size"], item["ETag"].strip('"'), settings))
    except ClientError as exc:
        raise BackfillError(f"cannot list {url}: {_client_error(exc)}") from exc
    except BotoCoreError as exc:
        raise BackfillError(f"cannot list {url}: {exc}") from exc
    if not found:
        raise UsageError(f"no objects under {url}")
    found.sort(key=lambda o: o.name)
    return found


def _source(client: Any, bucket: str, key: str, size: int, etag: str, settings: S3Settings) -> SourceObject:
    return SourceObject(
        name=f"s3://{bucket}/{key}",
        size=size,
        version=etag,
        opener=lambda: ResumableObject(client, bucket, key, size, etag, settings),
    )


def _client_error(exc: Exception) -> str:
    err = getattr(exc, "response", {}).get("Error", {})
    return f"{err.get('Code', 'error')}: {err.get('Message', '')}".strip()


def _transient_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import (
        ConnectionClosedError,
        EndpointConnectionError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )
    from urllib3.exceptions import HTTPError

    return (
        ConnectionClosedError,
        EndpointConnectionError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
        HTTPError,
        ConnectionError,
        TimeoutError,
    )


class ResumableObject(io.RawIOBase):
    """The raw bytes of one object; seekable; a dropped connection resumes with a ranged GET."""

    def __init__(self, client: Any, bucket: str, key: str, size: int, etag: str, settings: S3Settings):
        super().__init__()
        self.client, self.bucket, self.key = client, bucket, key
        self.size, self.etag, self.settings = size, etag, settings
        self.pos = 0
        self.resumes = 0  # how many times a dropped connection was resumed
        self._body: Any = None
        self._transient = _transient_errors()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        target = max(0, base + offset)
        if target != self.pos:
            self._drop()
            self.pos = target
        return self.pos

    def readinto(self, buffer: Any) -> int:
        if self.pos >= self.size or len(buffer) == 0:
            return 0
        failures = 0
        while True:
            try:
                if self._body is None:
                    self._open()
                data = self._body.read(min(len(buffer), self.size - self.pos))
                if not data:
                    raise ConnectionError("the connection ended before the end of the object")
            except self._transient as exc:
                failures += 1
                self._drop()
                if failures > self.settings.max_retries or self.resumes >= self.settings.max_resumes:
                    raise BackfillError(
                        f"s3://{self.bucket}/{self.key}: reading failed at byte {self.pos:,} of "
                        f"{self.size:,} ({type(exc).__name__}; {failures} time(s) in a row, "
                        f"{self.resumes} resume(s) in all); run the command again to resume"
                    ) from exc
                wait = min(30.0, self.settings.backoff_seconds * 2 ** (failures - 1))
                log.warning(
                    "s3://%s/%s: connection lost at byte %s (%s); resuming in %.1f s (try %d of %d)",
                    self.bucket,
                    self.key,
                    f"{self.pos:,}",
                    type(exc).__name__,
                    wait,
                    failures,
                    self.settings.max_retries,
                )
                time.sleep(wait)
                self.resumes += 1
                continue
            n = len(data)
            buffer[:n] = data
            self.pos += n
            return n

    def _open(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={self.pos}-", IfMatch=self.etag
            )
        except self._transient:
            raise  # retried by the caller
        except BotoCoreError as exc:  # e.g. no credentials: retrying will not help
            raise BackfillError(f"cannot read s3://{self.bucket}/{self.key}: {exc}") from exc
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 412:
                raise BackfillError(
                    f"s3://{self.bucket}/{self.key} changed while it was being read; run again"
                ) from exc
            raise BackfillError(f"cannot read s3://{self.bucket}/{self.key}: {_client_error(exc)}") from exc
        self._body = response["Body"]

    def _drop(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):  # a broken connection has nothing to release
                self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()
