"""The ``aspects-backfill`` command line.

Exit codes: 0 the run completed (rejected lines included), 1 a fatal error, 2 a usage error.
Each failure ends with one line on stderr.
"""

from __future__ import annotations

import logging
import sys

import click

from . import __version__
from .errors import BackfillError

log = logging.getLogger("aspects_backfill")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )


class _Group(click.Group):
    """Turns our errors into one-line messages with the right exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BackfillError as exc:
            click.echo(f"aspects-backfill: error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aspects-backfill")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """Backfill Open edX learning analytics (Aspects) into ClickHouse, an LRS or files."""
    _setup_logging(verbose)


from .clickhouse.connection import DEFAULT_DEST  # noqa: E402

_CH_DEST_HELP = "ClickHouse: chdb:PATH (embedded) or clickhouse://[USER@]HOST[:PORT][/?secure=true] (env CLICKHOUSE_PASSWORD)."
_XAPI_TABLE_HELP = "Raw xAPI table (Vector installs: openedx.xapi_events_all)."


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--to",
    "dests",
    multiple=True,
    default=[DEFAULT_DEST],
    show_default=True,
    help="Destination: chdb:PATH (embedded ClickHouse), clickhouse://[USER@]HOST[:PORT], '-' (NDJSON on "
    "stdout), file:PATH[.gz], lrs+https://HOST/PATH/xAPI/. Repeat to write every statement to each.",
)
@click.option("--xapi-table", default="xapi.xapi_events_all", show_default=True, help=_XAPI_TABLE_HELP)
@click.option(
    "--batch-bytes",
    type=click.IntRange(min=1),
    help="Largest ClickHouse INSERT in bytes (default: 128 MiB embedded, 32 MiB server).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Stop instead of warning when statements are older than Aspects' TTL.",
)
@click.option(
    "--lms-root-url",
    envvar="LMS_ROOT_URL",
    help="The LMS root URL (actor homePage, every IRI). Env: LMS_ROOT_URL.",
)
@click.option(
    "--actors",
    "actors_path",
    help="Learner xAPI ids: mysql://USER@HOST[:PORT]/DB (the LMS; env MYSQL_PASSWORD), chdb:PATH or "
    "clickhouse://... (event_sink.external_id), or a CSV user_id,username,external_user_id. "
    "Default: the ClickHouse destination.",
)
@click.option(
    "--courses",
    "courses_path",
    help="Course names: mysql://... (the LMS), chdb:PATH / clickhouse://... (event_sink.course_overviews) "
    "or a CSV course_key,display_name. Default: the ClickHouse destination.",
)
@click.option(
    "--unknown-actors",
    type=click.Choice(["reject", "create"]),
    default="reject",
    show_default=True,
    help="LMS learners without an xAPI id: reject their events, or make them an id as the LMS would "
    "(needs --actors mysql://...; the ids are recorded, see --write-lms, --new-actors-out).",
)
@click.option(
    "--new-actors-out", help="With --unknown-actors create: write the new ids to this CSV (an --actors file)."
)
@click.option(
    "--write-lms",
    is_flag=True,
    help="With --unknown-actors create: store the new ids in the LMS database so it keeps using them.",
)
@click.option("--transformer-version", help="transformer-version extension (default: this tool and version).")
@click.option("--all-events", is_flag=True, help="Transform every event ERB has a transformer for.")
@click.option("--events", "event_names", help="Only these event names (comma separated).")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    help="Statements per write; for an LRS, per request (default: per destination: LRS 500, "
    "ClickHouse 50,000 with Aspects' views, 20,000 without).",
)
@click.option("--lrs-username", help="LRS basic-auth user; the password comes from env LRS_PASSWORD.")
@click.option(
    "--lrs-concurrency",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="LRS requests in flight.",
)
@click.option(
    "--lrs-timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="LRS answer timeout (s).",
)
@click.option(
    "--lrs-max-retries",
    type=click.IntRange(min=0),
    default=8,
    show_default=True,
    help="Retries of a request on 429/5xx/timeouts/dropped connections before the run stops.",
)
@click.option(
    "--sleep-between-batches",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to pause after each delivered LRS request (throttling).",
)
@click.option("--dry-run", is_flag=True, help="Read, transform and validate everything; write nothing.")
@click.option("--rejects", "rejects_path", help="Write one JSON line per rejected line to this file.")
@click.option("--summary-json", "summary_path", help="Write the final summary as JSON to this file.")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes that parse and transform (default: the CPUs this process may use; 1: no pool).",
)
@click.option(
    "--shard",
    help="Handle only shard I of N of the source objects (I/N, e.g. 0/4). Default I: JOB_COMPLETION_INDEX.",
)
@click.option(
    "--shard-count",
    type=click.IntRange(min=1),
    envvar="ASPECTS_BACKFILL_SHARD_COUNT",
    help="Number of shards N, with I from JOB_COMPLETION_INDEX. Env: ASPECTS_BACKFILL_SHARD_COUNT.",
)
@click.option(
    "--source-endpoint",
    envvar="AWS_ENDPOINT_URL_S3",
    help="S3-compatible endpoint for s3:// sources (MinIO, Ceph, ...). Env: AWS_ENDPOINT_URL_S3.",
)
@click.option(
    "--since", help="Only events at or after this time (ISO 8601 date or date-time; UTC if no zone)."
)
@click.option("--until", help="Only events before this time (ISO 8601 date or date-time; UTC if no zone).")
@click.option("--restart", is_flag=True, help="Ignore the saved run state: start from the beginning.")
@click.option(
    "--state-dir",
    envvar="ASPECTS_BACKFILL_STATE_DIR",
    help="Keep the run state here (default: next to a file/chDB destination, else ~/.local/state).",
)
def xapi(
    sources,
    dests,
    lms_root_url,
    actors_path,
    courses_path,
    unknown_actors,
    new_actors_out,
    write_lms,
    transformer_version,
    all_events,
    event_names,
    batch_size,
    lrs_username,
    lrs_concurrency,
    lrs_timeout,
    lrs_max_retries,
    sleep_between_batches,
    dry_run,
    rejects_path,
    summary_path,
    quiet,
    xapi_table,
    batch_bytes,
    strict,
    workers,
    shard,
    shard_count,
    source_endpoint,
    since,
    until,
    restart,
    state_dir,
) -> None:
    """Transform tracking logs (files, directories, globs, s3://BUCKET/PREFIX, '-') into xAPI.

    A run into a file or database keeps its state: run the same command again after a crash
    or Ctrl-C and it resumes where the destination stands.
    """
    from .sinks.lrs import LrsOptions
    from .sources_s3 import S3Settings
    from .xapi_command import XapiArgs, run_xapi

    run_xapi(
        XapiArgs(
            sources=list(sources),
            dest=dests[0],
            dests=list(dests),
            lms_root_url=lms_root_url,
            actors_path=actors_path,
            courses_path=courses_path,
            unknown_actors=unknown_actors,
            new_actors_out=new_actors_out,
            write_lms=write_lms,
            transformer_version=transformer_version,
            all_events=all_events,
            event_names=event_names,
            batch_size=batch_size,
            lrs=LrsOptions(
                batch_size=batch_size,
                concurrency=lrs_concurrency,
                timeout=lrs_timeout,
                max_retries=lrs_max_retries,
                sleep_between_batches=sleep_between_batches,
                username=lrs_username,
            ).with_env_secrets(),
            dry_run=dry_run,
            rejects_path=rejects_path,
            summary_path=summary_path,
            quiet=quiet,
            xapi_table=xapi_table,
            batch_bytes=batch_bytes,
            strict=strict,
            workers=workers,
            shard=shard,
            shard_count=shard_count,
            s3=S3Settings(endpoint_url=source_endpoint),
            since=since,
            until=until,
            restart=restart,
            state_dir=state_dir,
        )
    )


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--to",
    "dest",
    default=None,
    help="ClickHouse destination: chdb:PATH (default chdb:./aspects-data) or clickhouse://USER@HOST:PORT.",
)
@click.option("--force", is_flag=True, help="Reload courses even when unchanged since their last load.")
@click.option("--course-key", help="Load the (single) export under this course-v1 key instead of its own.")
@click.option("--summary-json", "summary_path", help="Write the final summary as JSON to this file.")
def courses(sources, dest, force, course_key, summary_path) -> None:
    """Load course structure from Studio exports (.tar.gz or directories) into event_sink."""
    from .courses.command import run_courses

    run_courses(list(sources), dest, force=force, course_key=course_key, summary_path=summary_path)


@main.command()
@click.option(
    "--from",
    "source",
    required=True,
    help="The LMS database: mysql://USER@HOST[:PORT]/DB (env MYSQL_PASSWORD).",
)
@click.option(
    "--to",
    "dest",
    help="ClickHouse: chdb:PATH or clickhouse://USER@HOST[:PORT] (default chdb:./aspects-data).",
)
def actors(source, dest) -> None:
    """Copy the LMS's learner xAPI ids into event_sink.external_id (rows the Aspects plugin writes)."""
    from .identities.copy_actors import copy_actors

    result = copy_actors(source, dest)
    click.echo(
        f"{result.read} learner ids read, {result.written} written to {result.where} event_sink.external_id, "
        f"{result.unchanged} already there, {result.bad} not UUIDs (left out), in {result.seconds:.1f}s",
        err=True,
    )


@main.command()
@click.option("--to", "dest", default=DEFAULT_DEST, show_default=True, help=_CH_DEST_HELP)
@click.option("--xapi-table", default="xapi.xapi_events_all", show_default=True, help=_XAPI_TABLE_HELP)
def init(dest, xapi_table) -> None:
    """Create the databases and tables Aspects has that are missing (never alters or drops)."""
    from .clickhouse.commands import run_init

    run_init(dest, xapi_table)


@main.command()
@click.argument("sql")
@click.option("--to", "dest", default=DEFAULT_DEST, show_default=True, help=_CH_DEST_HELP)
@click.option("--format", "fmt", default="TSV", show_default=True, help="Any ClickHouse output format.")
def query(sql, dest, fmt) -> None:
    """Run SQL on a ClickHouse destination and print the result."""
    from .clickhouse.commands import run_query

    run_query(dest, sql, fmt)


@main.command("transform-tracking-logs")
@click.option("--source_provider", "--source-provider", required=True, help="LOCAL, S3 or MINIO.")
@click.option(
    "--source_config",
    "--source-config",
    required=True,
    help="JSON: container, prefix and key (LOCAL: the base directory; S3/MINIO: access key), secret, "
    "region, host, port, secure.",
)
@click.option("--destination_provider", "--destination-provider", default="LRS", show_default=True)
@click.option("--destination_config", "--destination-config", help="JSON: container, prefix, key, ...")
@click.option(
    "--transformer_type", "--transformer-type", required=True, help="xapi (caliper is not supported)."
)
@click.option("--batch_size", "--batch-size", type=click.IntRange(min=1), help="Statements per write.")
@click.option(
    "--sleep_between_batches_secs",
    "--sleep-between-batches-secs",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Pause after each batch (ERB's default is 10).",
)
@click.option("--dry_run", "--dry-run", is_flag=True, help="Read, transform and validate; write nothing.")
@click.option("--lrs-urls", "--lrs_urls", multiple=True, help="LRS xAPI endpoint(s); repeat or give several.")
@click.option("--lms-root-url", envvar="LMS_ROOT_URL", help="The LMS root URL. Env: LMS_ROOT_URL.")
@click.option(
    "--actors",
    "actors_path",
    envvar="ASPECTS_BACKFILL_ACTORS",
    help="Learner xAPI ids, as for xapi: mysql://USER@HOST/DB (the LMS; env MYSQL_PASSWORD), "
    "chdb:/clickhouse://, or a CSV. Env: ASPECTS_BACKFILL_ACTORS.",
)
@click.option(
    "--courses",
    "courses_path",
    envvar="ASPECTS_BACKFILL_COURSES",
    help="Course names, as for xapi: mysql://, chdb:/clickhouse:// or a CSV. Env: ASPECTS_BACKFILL_COURSES.",
)
@click.option("--transformer-version", help="transformer-version extension (default: this tool and version).")
@click.option("--since", help="Only events at or after this time (ISO 8601).")
@click.option("--until", help="Only events before this time (ISO 8601).")
@click.option("--restart", is_flag=True, help="Ignore the saved run state: start from the beginning.")
@click.option("--state-dir", envvar="ASPECTS_BACKFILL_STATE_DIR", help="Where to keep the run state.")
@click.option("--rejects", "rejects_path", help="Write one JSON line per rejected line to this file.")
@click.option("--summary-json", "summary_path", help="Write the final summary as JSON to this file.")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.argument("extra_lrs_urls", nargs=-1)
def transform_tracking_logs(**opts) -> None:
    """event-routing-backends' transform_tracking_logs, on this tool's engine (xAPI only).

    File destinations (LOCAL, S3, MINIO) get xAPI statements in new objects named by run;
    LRS destinations need --lrs-urls (credentials: env LRS_USERNAME, LRS_PASSWORD).
    """
    from .erb_command import ErbArgs, run_transform_tracking_logs
    from .xapi_command import XapiArgs

    run_transform_tracking_logs(
        ErbArgs(
            source_provider=opts["source_provider"],
            source_config=opts["source_config"],
            destination_provider=opts["destination_provider"],
            destination_config=opts["destination_config"],
            transformer_type=opts["transformer_type"],
            batch_size=opts["batch_size"],
            sleep_between_batches_secs=opts["sleep_between_batches_secs"],
            dry_run=opts["dry_run"],
            lrs_urls=_lrs_urls(opts["lrs_urls"], opts["extra_lrs_urls"]),
            engine=XapiArgs(
                sources=[],
                lms_root_url=opts["lms_root_url"],
                actors_path=opts["actors_path"],
                courses_path=opts["courses_path"],
                transformer_version=opts["transformer_version"],
                since=opts["since"],
                until=opts["until"],
                restart=opts["restart"],
                state_dir=opts["state_dir"],
                rejects_path=opts["rejects_path"],
                summary_path=opts["summary_path"],
                quiet=opts["quiet"],
            ),
        )
    )


def _lrs_urls(given: tuple[str, ...], extra: tuple[str, ...]) -> list[str]:
    """ERB's --lrs-urls takes several values after one flag (nargs='+'): accept both spellings."""
    if extra and not given:
        raise click.UsageError(f"unexpected argument(s): {' '.join(extra)}")
    return [u for u in (*given, *extra) if u]
