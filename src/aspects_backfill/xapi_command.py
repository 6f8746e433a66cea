"""``aspects-backfill xapi``: wiring options to sources, lookups, transform and sink."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import __version__
from .clickhouse.connection import DEFAULT_DEST, is_clickhouse_dest
from .errors import UsageError
from .identities import Identities, IdentityOptions, RecordingSink, open_identities
from .pipeline import Runner, RunOptions
from .rejects import RejectWriter
from .report import ProgressView, Summary, stderr_console
from .sinks import open_sinks
from .sinks.lrs import LrsOptions
from .sources import expand
from .transform import Context


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


def run_xapi(args: XapiArgs) -> None:
    objects = expand(args.sources)  # a wrong path fails before a long lookup load
    ids = open_lookups(args)
    try:
        summary = _run(args, ids, objects)
    finally:
        ids.close()  # records any new xAPI ids still pending
    summary.notes.extend(ids.notes)
    if args.summary_path:
        summary.write_json(args.summary_path)
    summary.render(stderr_console())


def _run(args: XapiArgs, ids: Identities, objects: list) -> Summary:
    ctx = build_context(args, ids)
    sink = (
        None
        if args.dry_run
        else open_sinks(
            args.dests or [args.dest],
            args.lrs,
            xapi_table=args.xapi_table,
            batch_rows=args.batch_size,
            batch_bytes=args.batch_bytes,
            strict=args.strict,
        )
    )
    if sink is not None and ids.new_actors is not None:
        sink = RecordingSink(sink, ids.new_actors)  # new ids on record before statements carry them
    console = stderr_console()
    total = sum(o.size or 0 for o in objects) or None
    progress = ProgressView(console, total, enabled=not args.quiet)
    rejects = RejectWriter(args.rejects_path)
    events = (
        frozenset(e.strip() for e in args.event_names.split(",") if e.strip()) if args.event_names else None
    )
    # an LRS sink turns --batch-size into statements per request itself and takes several at once
    batch_rows = None if getattr(sink, "sizes_own_batches", False) else args.batch_size
    opts = RunOptions(all_events=args.all_events, batch_rows=batch_rows, dry_run=args.dry_run, events=events)
    runner = Runner(ctx, sink, rejects, opts, progress)
    try:
        summary = runner.run(objects)
    finally:
        progress.close()
        rejects.close()
        if sink is not None:
            sink.close()
    if len(args.dests) > 1 and hasattr(sink, "notes"):
        summary.notes.extend(sink.notes())
    elif hasattr(sink, "warnings"):  # a single destination's warnings (ClickHouse pitfalls)
        summary.notes.extend(sink.warnings())
    return summary
