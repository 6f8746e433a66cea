"""Many machines: ``--shard I/N`` keeps a deterministic, stable part of the source objects.

An object belongs to shard ``sha1(key) mod N``. The key is the object's name relative to the
source argument it was found under (``logs/`` → ``server1/tracking.log-20240101.gz``;
``s3://bucket/prefix/`` → the rest of the key), so the same object lands in the same shard on
every machine and in every run, whatever the mount point or working directory, and adding
objects never moves the others. Each shard keeps its own run state (``Shard.label``).

In a Kubernetes Indexed Job the index comes from ``JOB_COMPLETION_INDEX``; the count from
``--shard-count`` (or ``ASPECTS_BACKFILL_SHARD_COUNT``).
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from .errors import UsageError
from .sources import SourceObject

INDEX_ENV = "JOB_COMPLETION_INDEX"


class Shard(NamedTuple):
    index: int
    count: int

    @property
    def label(self) -> str:
        """``I/N``: part of the run-state key, so shards never share resume state."""
        return f"{self.index}/{self.count}"


def parse_shard(spec: str | None, count: int | None, env: Mapping[str, str] = os.environ) -> Shard | None:
    """The shard to run from ``--shard I/N``, ``--shard-count N`` and ``JOB_COMPLETION_INDEX``."""
    index: int | None = None
    if spec:
        index_text, sep, count_text = spec.partition("/")
        try:
            index = int(index_text)
            spec_count = int(count_text) if sep else None
        except ValueError:
            raise UsageError(f"--shard takes I/N (e.g. 0/4), not {spec!r}") from None
        if spec_count is not None:
            if count is not None and count != spec_count:
                raise UsageError(f"--shard {spec} and --shard-count {count} disagree")
            count = spec_count
    elif env.get(INDEX_ENV, "").strip():
        try:
            index = int(env[INDEX_ENV])
        except ValueError:
            raise UsageError(f"{INDEX_ENV}={env[INDEX_ENV]!r} is not a number") from None
        if count is None:
            raise UsageError(
                f"{INDEX_ENV} is set (a Kubernetes Indexed Job): pass --shard-count N (the Job's completions)"
            )
    elif count is not None:
        raise UsageError("--shard-count needs an index: --shard I/N, or JOB_COMPLETION_INDEX")
    if index is None:
        return None
    if count is None:
        raise UsageError("--shard needs the number of shards: --shard I/N or --shard-count N")
    if count < 1 or not 0 <= index < count:
        raise UsageError(f"shard index must be in 0..{count - 1} (got {index}/{count})")
    return Shard(index, count)


def shard_of(key: str, count: int) -> int:
    digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count


def shard_key(arg: str, name: str) -> str:
    """The object's name relative to the source argument that found it ('/'-separated)."""
    base = arg if "://" in arg else os.path.abspath(arg if os.path.isdir(arg) else _glob_root(arg))
    if name.startswith(base):
        rel = name[len(base) :].lstrip("/" + os.sep)
        if rel:
            return rel.replace(os.sep, "/")
    return name


def _glob_root(arg: str) -> str:
    """The directory of a file or glob argument, up to its first wildcard."""
    parts = []
    for part in os.path.dirname(arg).split(os.sep):
        if glob.has_magic(part):
            break
        parts.append(part)
    root = os.sep.join(parts)
    return root or (os.sep if arg.startswith(os.sep) else ".")


def select(
    args: Iterable[str], shard: Shard | None, expand: Callable[[list[str]], list[SourceObject]]
) -> list[SourceObject]:
    """The source objects of this shard (all of them without a shard), in the usual order."""
    args = list(args)
    if shard is None:
        return expand(args)
    if "-" in args:
        raise UsageError("--shard cannot split stdin ('-'): give files, directories or object-store URLs")
    picked = []
    for arg in args:
        picked.extend(
            o for o in expand([arg]) if shard_of(shard_key(arg, o.name), shard.count) == shard.index
        )
    return picked
