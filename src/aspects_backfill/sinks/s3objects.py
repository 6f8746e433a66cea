"""xAPI NDJSON into a bucket, one object per commit: ``PREFIX/RUN-ID_xapi_SEQ.log``.

Objects are named by the run id (kept in the run state) and a sequence number, so a run
never overwrites the output of another run. The state is saved after each PUT, so a killed
run leaves at most one object past its state (number N); the resumed run starts again from
the same position and writes its next object as number N, replacing it: exactly-once.
"""

from __future__ import annotations

from typing import Any

from ..errors import BackfillError
from .base import Record, WriteResult


class S3ObjectSink:
    batch_rows = 10000

    def __init__(self, client: Any, bucket: str, prefix: str, run_id: str) -> None:
        self.client, self.bucket, self.prefix, self.run_id = client, bucket, prefix, run_id
        self.name = f"s3://{bucket}/{prefix}"
        self.seq = 0
        self._parts: list[bytes] = []

    def write(self, batch: list[Record]) -> WriteResult:
        self._parts.append(b"".join(r.body + b"\n" for r in batch))
        return WriteResult(written=len(batch))

    def commit(self) -> None:
        if not self._parts:
            return
        key = f"{self.prefix}/{self.run_id}_xapi_{self.seq:06d}.log".lstrip("/")
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b"".join(self._parts))
        except Exception as exc:  # botocore raises many types; the run cannot go on
            raise BackfillError(f"cannot write s3://{self.bucket}/{key}: {exc}") from exc
        self.seq += 1
        self._parts = []

    def checkpoint(self) -> dict[str, Any]:
        return {"seq": self.seq}

    def resume(self, mark: dict[str, Any]) -> None:
        self.seq = int(mark.get("seq", 0))

    def close(self) -> None:
        self._parts = []
