"""xAPI LRS destination: ``lrs+https://HOST/PATH/xAPI/`` (or ``lrs+http://``).

Statements are POSTed as JSON lists to ``{url}/statements`` (xAPI 1.0.3) over one pooled
HTTP client, ``concurrency`` requests in flight. A statement counts as delivered only when
the LRS acknowledged it (200/204); see ``lrs_delivery`` for retries and bisection.
Credentials come from ``--lrs-username`` with env ``LRS_PASSWORD``, or env ``LRS_TOKEN``,
and never reach output: the URL shown is stripped of userinfo and every message is redacted.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from .. import __version__
from ..errors import BackfillError, UsageError
from .base import Record, WriteResult
from .lrs_delivery import ChunkDelivery, DeliveryFailed, RetryPolicy

log = logging.getLogger("aspects_backfill")

# 500 statements (~0.5 MB of ERB-shaped JSON) per POST: under the 1 MB request-body limit of
# nginx and ingress-nginx defaults in front of many LRSs, equal to Ralph's ClickHouse write
# chunk (one POST = one insert), large enough to amortise Ralph's per-POST duplicate lookup,
# and one bad statement costs only ~18 extra requests to isolate.
DEFAULT_BATCH_SIZE = 500
DEFAULT_CONCURRENCY = 2


@dataclass
class LrsOptions:
    batch_size: int | None = None  # statements per POST; None: DEFAULT_BATCH_SIZE
    concurrency: int = DEFAULT_CONCURRENCY  # POSTs in flight per LRS
    timeout: float = 60.0  # seconds, for connecting and for each answer
    max_retries: int = 8
    sleep_between_batches: float = 0.0  # seconds each request slot waits after a delivered POST
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    backoff_base: float = 0.5

    def with_env_secrets(self) -> LrsOptions:
        """These options with the password (``LRS_PASSWORD``) and token (``LRS_TOKEN``) from the environment."""
        self.password = self.password or os.environ.get("LRS_PASSWORD") or None
        self.token = self.token or os.environ.get("LRS_TOKEN") or None
        return self


@dataclass
class LrsTarget:
    name: str  # what we show: the destination without userinfo
    endpoint: str  # the statements resource
    username: str | None


def parse_lrs_url(dest: str) -> LrsTarget:
    """Split ``lrs+URL`` into the statements endpoint and a printable name; refuse a password in it."""
    raw = dest[len("lrs+") :]
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        detail = "" if "@" in raw else f" ({exc})"  # never echo what may hold a password
        raise UsageError(f"invalid LRS URL{detail}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError("an LRS destination looks like lrs+https://HOST/PATH/xAPI/")
    clean = url.copy_with(userinfo=b"")
    name = f"lrs+{clean}"
    if url.password:
        raise UsageError(
            f"{name}: do not put the password in the URL (process lists show it); "
            "pass --lrs-username and set LRS_PASSWORD"
        )
    path = clean.path
    if not path.rstrip("/").endswith("/statements"):
        path = path.rstrip("/") + "/statements"
    return LrsTarget(name, str(clean.copy_with(path=path)), url.username or None)


class LrsSink:
    """Delivers every statement to one LRS, or says exactly what it could not deliver."""

    sizes_own_batches = True  # --batch-size means statements per POST here

    def __init__(self, dest: str, opts: LrsOptions) -> None:
        target = parse_lrs_url(dest)
        self.name = target.name
        self.post_size = opts.batch_size or DEFAULT_BATCH_SIZE
        self.concurrency = max(1, opts.concurrency)
        self.batch_rows = self.post_size * self.concurrency
        self.sleep_between = max(0.0, opts.sleep_between_batches)
        self._secrets = [s for s in (opts.password, opts.token) if s]
        self._client = httpx.Client(
            headers={
                "X-Experience-API-Version": "1.0.3",
                "Content-Type": "application/json",
                "User-Agent": f"aspects-backfill/{__version__}",
            },
            auth=_auth(self.name, opts.username or target.username, opts),
            timeout=httpx.Timeout(opts.timeout),
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency),
        )
        policy = RetryPolicy(max_retries=max(0, opts.max_retries), backoff_base=opts.backoff_base)
        self._delivery = ChunkDelivery(
            self._client, self.name, target.endpoint, policy, self.redact, opts.timeout
        )
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="lrs")
        self.totals = WriteResult()  # rejected kept as a count only (see rejected_total)
        self.rejected_total = 0
        self.failure: str | None = None
        _quiet_httpx()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def write(self, batch: list[Record]) -> WriteResult:
        """Deliver ``batch``. After a failure that retries could not cure, this returns what was
        acknowledged (so refusals still reach the rejects file) and the next call raises."""
        self._raise_if_failed()
        result = WriteResult()
        todo = batch
        try:
            while todo:
                unique, todo, repeats = split_duplicates(todo)
                try:
                    self._deliver(unique, result)
                except DeliveryFailed as exc:
                    lost = {id(r) for r in exc.undelivered}
                    exc.undelivered += [rep for rep, first in repeats if id(first) in lost]
                    _settle_repeats([(rep, first) for rep, first in repeats if id(first) not in lost], result)
                    raise
                _settle_repeats(repeats, result)
        except DeliveryFailed as exc:
            self._account(result)
            self.failure = self._failure_message(exc.cause, exc.undelivered + todo)
        else:
            self._account(result)
        return result

    def commit(self) -> None:
        """Nothing to flush: a statement counts only once the LRS acknowledged it."""
        self._raise_if_failed()

    def close(self) -> None:
        # not waiting: after Ctrl-C a request slot may be in a long backoff; closing the client ends it
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def notes(self) -> list[str]:
        t = self.totals
        return [
            f"{self.name}: {t.written:,} stored, {t.already_present:,} already there, "
            f"{self.rejected_total:,} refused"
        ]

    def _deliver(self, records: list[Record], result: WriteResult) -> None:
        chunks = [records[i : i + self.post_size] for i in range(0, len(records), self.post_size)]
        futures = [self._pool.submit(self._deliver_chunk, chunk) for chunk in chunks]
        failures: list[DeliveryFailed] = []
        for future in futures:
            try:
                result.merge(future.result())
            except DeliveryFailed as exc:
                result.merge(exc.done)
                failures.append(exc)
        if failures:
            causes = sorted({f.cause for f in failures})
            undelivered = [r for f in failures for r in f.undelivered]
            raise DeliveryFailed("; ".join(causes), WriteResult(), undelivered)

    def _deliver_chunk(self, chunk: list[Record]) -> WriteResult:
        done = self._delivery.deliver(chunk)
        if self.sleep_between:
            time.sleep(self.sleep_between)
        return done

    def _account(self, result: WriteResult) -> None:
        self.totals.written += result.written
        self.totals.already_present += result.already_present
        self.rejected_total += len(result.rejected)

    def _raise_if_failed(self) -> None:
        if self.failure is not None:
            raise BackfillError(self.failure)

    def _failure_message(self, cause: str, undelivered: list[Record]) -> str:
        t = self.totals
        first = min(undelivered, key=lambda r: (r.source, r.line), default=None)
        where = f" (the first from {first.source} line {first.line})" if first else ""
        return self.redact(
            f"{self.name}: {cause}. Acknowledged by the LRS before stopping: "
            f"{t.written + t.already_present:,} statements ({t.written:,} stored now, "
            f"{t.already_present:,} it already had); {self.rejected_total:,} refused (in the rejects). "
            f"Not delivered: {len(undelivered):,} statements of the current batch{where}, "
            "nor any input after this batch. Re-running is safe: the LRS accepts statements it already has."
        )


def split_duplicates(batch: list[Record]) -> tuple[list[Record], list[Record], list[tuple[Record, Record]]]:
    """(first statement for each id, later ones with other content, identical repeats with their first).

    Ralph refuses a whole request that holds one id twice (400), and two requests in flight
    with the same id could both store it. An identical repeat shares its first's fate and is
    not sent; a repeat with other content goes in a later request so the LRS itself judges it.
    """
    first: dict[str, Record] = {}
    later: list[Record] = []
    repeats: list[tuple[Record, Record]] = []
    for record in batch:
        seen = first.get(record.statement_id)
        if seen is None:
            first[record.statement_id] = record
        elif seen.body == record.body:
            repeats.append((record, seen))
        else:
            later.append(record)
    return list(first.values()), later, repeats


def _settle_repeats(repeats: list[tuple[Record, Record]], result: WriteResult) -> None:
    """An identical repeat is refused like its first, or else already present (its first was delivered)."""
    refused = {id(r): (reason, detail) for r, reason, detail in result.rejected}
    for repeat, first in repeats:
        if id(first) in refused:
            result.rejected.append((repeat, *refused[id(first)]))
        else:
            result.already_present += 1


def _auth(name: str, username: str | None, opts: LrsOptions) -> httpx.Auth | None:
    if username:
        if not opts.password:
            raise UsageError(
                f"{name}: --lrs-username needs the password in the LRS_PASSWORD environment variable"
            )
        return httpx.BasicAuth(username, opts.password)
    if opts.token:
        return _BearerAuth(opts.token)
    log.warning("%s: no credentials given (--lrs-username with LRS_PASSWORD, or LRS_TOKEN)", name)
    return None


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _quiet_httpx() -> None:
    """httpx logs every request at INFO; one line per POST would bury the run's own messages."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
