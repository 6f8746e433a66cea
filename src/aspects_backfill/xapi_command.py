"""``aspects-backfill xapi``: wiring options to sources, lookups, transform, sinks and run state."""

from __future__ import annotations

import datetime as dt
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import click

from . import __version__
from .clickhouse.connection import DEFAULT_DEST, is_clickhouse_dest
from .errors import BackfillError, UsageError
from .identities import Identities, IdentityOptions, RecordingSink, open_identities
from .parallel import available_cpus, open_engine
from .pipeline import Runner, RunOptions
from .rejects import RejectWriter
from .report import ProgressView, Summary, stderr_console
from .sharding import Shard, parse_shard, select
from .sinks import open_sinks, record_preparer
from .sinks.lrs import LrsOptions
from .sources import SourceObject, expand
from .sources_s3 import S3Settings, list_objects
from .state import RunState, StateKeeper, default_store, new_run_id, redact, run_key
from .transform import Context


class Interrupted(BackfillError):
    """Stopped by Ctrl-C or SIGTERM at a batch boundary (exit code 130)."""

    exit_code = 130


@dataclass
class XapiArgs:
    sources: list[str]
    dest: str = DEFAULT_DEST
    dests: list[str] = field(default_factory=list)  # every --to; empty: just ``dest``
    lms_root_url: str | None = None
    actors_path: str | None = None
    courses_path: str | None = None
    unknown_actors: str = "reject"
    new_actors_out: str | None = None
    write_lms: bool = False
    transformer_version: str | None = None
    all_events: bool = False
    event_names: str | None = None
    batch_size: int | None = None
    lrs: LrsOptions | None = None
    dry_run: bool = False
    rejects_path: str | None = None
    summary_path: str | None = None
    quiet: bool = False
    xapi_table: str | None = None
    batch_bytes: int | None = None
    strict: bool = False
    s3: S3Settings = field(default_factory=S3Settings)
    since: str | None = None
    until: str | None = None
    restart: bool = False
    state_dir: str | None = None
    sleep_between_batches: float = 0.0  # the run loop's pause (LRS destinations pause in LrsOptions)
    state_key_dest: str | None = None  # identifies the destination in the run key (default: dest)
    run_id: str | None = None  # for a fresh state (destinations that name outputs by run)
    workers: int | None = None  # None: every CPU this process may use
    shard: str | None = None  # I/N
    shard_count: int | None = None
    shard_label: str | None = None  # the shard this run does (set by run_xapi; part of the run key)


def default_transformer_version() -> str:
    return f"aspects-backfill@{__version__}"


def identity_dest(args: XapiArgs) -> str:
    """The destination that is the default lookup source and records new ids: the ClickHouse one."""
    dests = args.dests or [args.dest]
    return next((d for d in dests if d != "-" and is_clickhouse_dest(d)), dests[0])


def open_lookups(args: XapiArgs) -> Identities:
    if not args.lms_root_url:
        raise UsageError("the LMS root URL is needed: pass --lms-root-url URL or set LMS_ROOT_URL")
    return open_identities(
        IdentityOptions(
            actors=args.actors_path,
            courses=args.courses_path,
            dest=identity_dest(args),
            unknown_actors=args.unknown_actors,
            new_actors_out=args.new_actors_out,
            write_lms=args.write_lms,
            dry_run=args.dry_run,
        )
    )


def build_context(args: XapiArgs, ids: Identities | None = None) -> Context:
    """The transform's context; without ``ids`` the lookups are opened here (CSV/ClickHouse: nothing to close)."""
    if ids is None:
        ids = open_lookups(args)
    return Context(
        lms_root_url=args.lms_root_url,
        transformer_version=args.transformer_version or default_transformer_version(),
        actors=ids.actors,
        courses=ids.courses,
    )


def parse_event_time(value: str | None, option: str) -> dt.datetime | None:
    """``2024-01-31`` or an ISO 8601 date-time; without a zone it is UTC."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{option}: not an ISO 8601 date or date-time: {value!r}") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def run_options(args: XapiArgs) -> RunOptions:
    events = (
        frozenset(e.strip() for e in args.event_names.split(",") if e.strip()) if args.event_names else None
    )
    since = parse_event_time(args.since, "--since")
    until = parse_event_time(args.until, "--until")
    if since and until and since >= until:
        raise UsageError("--since must be before --until")
    return RunOptions(
        all_events=args.all_events,
        batch_rows=args.batch_size,
        dry_run=args.dry_run,
        events=events,
        since=since,
        until=until,
        sleep_between_batches=args.sleep_between_batches,
    )


def _output_settings(args: XapiArgs, opts: RunOptions) -> dict:
    """Options that change what a run writes: a different value is a different run."""
    return {
        "lms_root_url": args.lms_root_url,
        "all_events": opts.all_events,
        "events": sorted(opts.events) if opts.events else None,
        "since": opts.since.isoformat() if opts.since else None,
        "until": opts.until.isoformat() if opts.until else None,
    } | ({"shard": args.shard_label} if args.shard_label else {})


def destination_id(args: XapiArgs) -> str:
    """The destination(s) as the run state knows them."""
    return args.state_key_dest or " + ".join(args.dests or [args.dest])


def state_key(args: XapiArgs, opts: RunOptions) -> str:
    return run_key(args.sources, destination_id(args), _output_settings(args, opts))


def open_state(
    args: XapiArgs, opts: RunOptions, sink, rejects: RejectWriter, objects: list[SourceObject]
) -> StateKeeper | None:
    """The run state for this command (None for dry runs, stdout and stdin), rolled back to its
    last commit; a fresh one with ``--restart`` or when the state is for another command."""
    if sink is None or "-" in (args.dests or [args.dest]) or any(o.name == "-" for o in objects):
        return None
    key = state_key(args, opts)
    store = default_store(sink, destination_id(args), key, args.state_dir)
    state = None if args.restart else store.load()
    if state is not None and state.run_key != key:
        click.echo(f"note: {store.location} belongs to another command; starting over", err=True)
        state = None
    resumed = state is not None
    if state is None:
        description = {"sources": args.sources, "destination": redact(destination_id(args))}
        state = RunState(run_key=key, description=description, run_id=args.run_id or new_run_id())
        state.rejects_mark = rejects.checkpoint()
        store.save(state)
    else:
        if hasattr(sink, "resume"):
            sink.resume(state.sink_mark)
        rejects.resume(state.rejects_mark)
    return StateKeeper(store, state, resumed)


def expand_sources(args: XapiArgs, shard: Shard | None = None) -> list[SourceObject]:
    """The source objects, only this shard's with ``shard``."""
    return select(
        args.sources, shard, lambda some: expand(some, remote=lambda url: list_objects(url, args.s3))
    )


@contextmanager
def stop_on_signals(runner: Runner) -> Iterator[None]:
    """Ctrl-C / SIGTERM: finish the current batch, commit, stop. A second Ctrl-C aborts."""

    def handler(signum, frame) -> None:
        click.echo("\nstopping after the current batch (Ctrl-C again to abort)...", err=True)
        runner.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_xapi(args: XapiArgs, objects: list[SourceObject] | None = None, sink=None) -> Summary:
    """One run; ``objects`` and ``sink`` may be given ready-made (transform-tracking-logs)."""
    opts = run_options(args)
    shard = parse_shard(args.shard, args.shard_count)
    if objects is None:
        objects = expand_sources(args, shard)  # a wrong path fails before a long lookup load
    elif shard is not None:
        raise UsageError("--shard works with the xapi command's own sources")
    args.shard_label = shard.label if shard is not None else None
    ids = open_lookups(args)
    try:
        summary, runner, keeper = _run(args, ids, opts, objects, sink)
    finally:
        ids.close()  # records any new xAPI ids still pending
    if shard is not None:
        summary.notes.append(f"shard {shard.label}: {len(objects)} source object(s)")
    summary.notes.extend(ids.notes)
    if args.summary_path:
        summary.write_json(args.summary_path)
    summary.render(stderr_console())
    if runner.interrupted:
        where = f" (state: {keeper.store.location})" if keeper is not None else ""
        raise Interrupted(
            "interrupted; everything up to the last batch is in the destination. "
            f"Run the same command again to resume{where}"
        )
    return summary


def _run(
    args: XapiArgs, ids: Identities, opts: RunOptions, objects: list[SourceObject], sink
) -> tuple[Summary, Runner, StateKeeper | None]:
    ctx = build_context(args, ids)
    if not args.dry_run and sink is None:  # rows made by the workers: less for the single writer
        opts.prepare = record_preparer(args.dests or [args.dest])
    # workers fork now, before the destinations and the progress display start threads
    engine = open_engine(ctx, opts, args.workers or available_cpus())
    rejects = progress = None
    try:
        if args.dry_run:
            sink = None
        elif sink is None:
            sink = open_sinks(
                args.dests or [args.dest],
                args.lrs,
                xapi_table=args.xapi_table,
                batch_rows=args.batch_size,
                batch_bytes=args.batch_bytes,
                strict=args.strict,
            )
        if sink is not None and ids.new_actors is not None:
            sink = RecordingSink(sink, ids.new_actors)  # new ids on record before statements carry them
        if getattr(sink, "sizes_own_batches", False):
            opts.batch_rows = None  # an LRS sink turns --batch-size into statements per request itself
        console = stderr_console()
        rejects = RejectWriter(args.rejects_path)
        keeper = open_state(args, opts, sink, rejects, objects)
        total = sum(o.size or 0 for o in objects) or None
        progress = ProgressView(console, total, enabled=not args.quiet)
        runner = Runner(ctx, sink, rejects, opts, progress, lines=engine, state=keeper)
        with stop_on_signals(runner):
            summary = runner.run(objects)
    finally:
        if progress is not None:
            progress.close()
        if rejects is not None:
            rejects.close()
        if sink is not None:
            sink.close()
        engine.close()
    if len(args.dests) > 1 and hasattr(sink, "notes"):
        summary.notes.extend(sink.notes())
    elif hasattr(sink, "warnings"):  # a single destination's warnings (ClickHouse pitfalls)
        summary.notes.extend(sink.warnings())
    return summary, runner, keeper
