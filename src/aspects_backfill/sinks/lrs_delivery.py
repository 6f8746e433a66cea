"""Delivering one chunk of statements to an xAPI LRS: retries for passing faults, bisection for refusals.

An LRS answers a statements POST for the whole list: one conflicting or invalid statement
makes it refuse every statement in the request. Splitting the refused list in halves until
single statements remain finds the culprits in about ``2·k·log2(n)`` requests for ``k`` bad
statements, and every other statement still gets delivered.
Faults that may pass (429, 5xx, timeouts, dropped connections) are retried with exponential
backoff and jitter; re-sending is safe because an LRS accepts an identical statement again.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson

from ..errors import BackfillError
from .base import Record, WriteResult

log = logging.getLogger("aspects_backfill")

DELIVERED = (200, 204)
SPLIT = {400: "invalid", 413: "too large", 422: "invalid", 409: "conflict"}
RETRY_AFTER_CAP = 300.0  # seconds: the longest Retry-After we wait for
DETAIL_CHARS = 2000  # how much of the LRS's answer a reject keeps


@dataclass
class RetryPolicy:
    max_retries: int = 8
    backoff_base: float = 0.5  # seconds before the first retry (before jitter)
    backoff_cap: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Equal-jitter exponential backoff; a server's Retry-After wins when it asks for longer."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2**attempt)
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
        return delay


class DeliveryFailed(BackfillError):
    """The LRS could not take a chunk: what it did take and what it did not are attached."""

    def __init__(self, cause: str, done: WriteResult, undelivered: list[Record]) -> None:
        super().__init__(cause)
        self.cause = cause
        self.done = done
        self.undelivered = undelivered


class ChunkDelivery:
    """Posts statement lists to one statements endpoint through a shared client."""

    def __init__(
        self,
        client: httpx.Client,
        name: str,
        url: str,
        policy: RetryPolicy,
        redact: Callable[[str], str],
        timeout: float,
    ) -> None:
        self.client = client
        self.name = name
        self.url = url
        self.policy = policy
        self.redact = redact
        self.timeout = timeout

    def deliver(self, records: list[Record]) -> WriteResult:
        """Deliver every deliverable statement; refuse the rest with the LRS's answer."""
        done = WriteResult()
        pending = [records]  # a stack: halves are pushed right-then-left to keep input order
        while pending:
            part = pending.pop()
            try:
                response = self._post(part)
            except DeliveryFailed as exc:
                exc.done, exc.undelivered = done, _in_order(part, pending)
                raise
            status = response.status_code
            if status in DELIVERED:
                written = _count_stored(response, part)
                done.written += written
                done.already_present += len(part) - written
            elif status in SPLIT and len(part) > 1:
                middle = len(part) // 2
                pending.append(part[middle:])
                pending.append(part[:middle])
            elif status in SPLIT:
                reason = f"lrs {SPLIT[status]} ({status})"
                done.rejected.append((part[0], reason, self._answer(response)))
            else:
                cause = self.redact(_refusal(response, self._answer(response)))
                raise DeliveryFailed(cause, done, _in_order(part, pending))
        return done

    def _post(self, part: list[Record]) -> httpx.Response:
        """One POST, retried while the failure may pass; raises ``DeliveryFailed`` when it does not."""
        body = b"[" + b",".join(r.body for r in part) + b"]"
        attempt = 0
        while True:
            retry_after = None
            try:
                response = self.client.post(self.url, content=body)
            except httpx.TimeoutException:
                cause = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as exc:
                cause = self.redact(f"connection failed ({type(exc).__name__}: {exc})")
            else:
                status = response.status_code
                if status != 429 and status < 500:
                    return response
                cause = f"{status} {response.reason_phrase}".strip()
                retry_after = _retry_after(response.headers.get("retry-after"))
            if attempt >= self.policy.max_retries:
                raise DeliveryFailed(
                    f"gave up after {attempt} retries (last failure: {cause})", WriteResult(), part
                )
            delay = self.policy.delay(attempt, retry_after)
            attempt += 1
            log.warning(
                "%s: %s; retry %d/%d in %.1f s", self.name, cause, attempt, self.policy.max_retries, delay
            )
            time.sleep(delay)

    def _answer(self, response: httpx.Response) -> str:
        text = f"{response.status_code} {response.reason_phrase}: {response.text}".strip()
        return self.redact(text[:DETAIL_CHARS])


def _in_order(part: list[Record], pending: list[list[Record]]) -> list[Record]:
    """The statements not yet delivered, in input order (``pending`` is a stack)."""
    return [r for p in [part, *reversed(pending)] for r in p]


def _count_stored(response: httpx.Response, part: list[Record]) -> int:
    """How many of ``part`` the LRS says it stored now; the rest it already had.

    The xAPI answer to a POST is the list of statement ids; Ralph lists only the ids it
    newly stored (and answers 204 when it stored none). An LRS that lists every id makes
    every statement count as new.
    """
    if response.status_code == 204 or not response.content:
        return 0
    try:
        ids = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return len(part)
    if not isinstance(ids, list):
        return len(part)
    sent = {r.statement_id for r in part}
    return len(sent.intersection(i for i in ids if isinstance(i, str)))


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _refusal(response: httpx.Response, answer: str) -> str:
    """Why an answer that is neither success, a per-statement refusal nor a passing fault stops the run."""
    status = response.status_code
    if status in (401, 403):
        return f"the LRS refused the credentials ({answer}); check --lrs-username with LRS_PASSWORD, or LRS_TOKEN"
    if status in (404, 405):
        return f"no xAPI statements resource at this URL ({answer}); give the LRS's xAPI base URL, ending in /xAPI/"
    if 300 <= status < 400:
        where = response.headers.get("location", "?")
        return f"the LRS redirects to {where} ({status}); give that URL instead"
    return f"unexpected answer {answer}"
