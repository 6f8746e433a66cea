"""``aspects-backfill xapi``: wiring options to sources, lookups, transform and sink."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import __version__
from .courses import course_names_from_destination
from .errors import UsageError
from .identities import load_actors_csv, load_courses_csv
from .pipeline import Runner, RunOptions
from .rejects import RejectWriter
from .report import ProgressView, stderr_console
from .sinks import open_sinks
from .sinks.lrs import LrsOptions
from .sources import expand
from .transform import Context


@dataclass
class XapiArgs:
    sources: list[str]
    dest: str = "-"
    dests: list[str] = field(default_factory=list)  # every --to; empty: just ``dest``
    lms_root_url: str | None = None
    actors_path: str | None = None
    courses_path: str | None = None
    transformer_version: str | None = None
    all_events: bool = False
    event_names: str | None = None
    batch_size: int | None = None
    lrs: LrsOptions | None = None
    dry_run: bool = False
    rejects_path: str | None = None
    summary_path: str | None = None
    quiet: bool = False


def default_transformer_version() -> str:
    return f"aspects-backfill@{__version__}"


def build_context(args: XapiArgs) -> Context:
    if not args.lms_root_url:
        raise UsageError("the LMS root URL is needed: pass --lms-root-url URL or set LMS_ROOT_URL")
    if not args.actors_path:
        raise UsageError("learner ids are needed: pass --actors users.csv")
    return Context(
        lms_root_url=args.lms_root_url,
        transformer_version=args.transformer_version or default_transformer_version(),
        actors=load_actors_csv(args.actors_path),
        courses=load_courses_csv(args.courses_path)
        if args.courses_path
        else course_names_from_destination(args.dest),
    )


def run_xapi(args: XapiArgs) -> None:
    ctx = build_context(args)
    objects = expand(args.sources)
    sink = None if args.dry_run else open_sinks(args.dests or [args.dest], args.lrs)
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
    if args.summary_path:
        summary.write_json(args.summary_path)
    summary.render(console)
