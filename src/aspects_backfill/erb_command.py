"""``transform-tracking-logs``: event-routing-backends' command line, run by this tool's engine.

Operators keep the options they pass to ERB today; what differs is documented and visible:
file destinations get xAPI (ERB writes the untransformed events there), output objects are
never overwritten, dry runs transform everything, compressed logs are read, and a re-run
resumes. Anything we do not support fails with an error that names it.

Prefix semantics follow ERB's libcloud listing: an object is included when its name (the
path relative to the container, for LOCAL) starts with ``prefix``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError
from .sinks.lrs import LrsOptions
from .sources import SourceObject, expand
from .sources_s3 import S3Settings, list_objects
from .state import FileStateStore
from .xapi_command import XapiArgs, run_options, run_xapi, state_key

SOURCE_PROVIDERS = ("LOCAL", "S3", "MINIO")
DESTINATION_PROVIDERS = ("LRS", "LOCAL", "S3", "MINIO")
CONFIG_KEYS = frozenset({"key", "secret", "region", "container", "prefix", "host", "port", "secure"})


@dataclass
class ErbArgs:
    source_provider: str
    source_config: str
    destination_provider: str = "LRS"
    destination_config: str | None = None
    transformer_type: str = "xapi"
    batch_size: int | None = None
    sleep_between_batches_secs: float = 0.0
    dry_run: bool = False
    lrs_urls: list[str] = field(default_factory=list)
    engine: XapiArgs = field(default_factory=lambda: XapiArgs(sources=[]))  # lookups and our options


def parse_config(raw: str | None, option: str) -> dict[str, Any]:
    """The JSON object of a --*_config option; its text is never echoed (it holds secrets)."""
    if raw is None:
        return {}
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{option}: not valid JSON ({exc.msg} at character {exc.pos})") from exc
    if not isinstance(config, dict):
        raise UsageError(f"{option}: must be a JSON object")
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise UsageError(
            f"{option}: unsupported key(s) {', '.join(unknown)} (supported: {sorted(CONFIG_KEYS)})"
        )
    for needed in ("container", "prefix"):
        if needed not in config:
            raise UsageError(f"{option}: the keys 'container' and 'prefix' must be defined")
    return config


def s3_settings(config: dict[str, Any], provider: str, option: str) -> S3Settings:
    endpoint = None
    if config.get("host"):
        secure = config.get("secure", True)
        if isinstance(secure, str):
            secure = secure.lower() not in ("false", "0", "no")
        scheme = "https" if secure else "http"
        try:
            port = f":{int(config['port'])}" if config.get("port") else ""
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{option}: 'port' must be a number") from exc
        endpoint = f"{scheme}://{config['host']}{port}"
    elif provider == "MINIO":
        raise UsageError(f"{option}: MINIO needs 'host' (and 'port', 'secure')")
    region = config.get("region") or ("us-east-1" if endpoint else None)
    return S3Settings(
        endpoint_url=endpoint, region=region, access_key=config.get("key"), secret_key=config.get("secret")
    )


def local_objects(config: dict[str, Any]) -> tuple[str, list[SourceObject]]:
    """(description, files under key/container whose relative name starts with prefix, by name)."""
    if not config.get("key"):
        raise UsageError("--source_config: LOCAL needs 'key' (the base directory)")
    root = os.path.abspath(os.path.join(str(config["key"]), str(config["container"])))
    if not os.path.isdir(root):
        raise UsageError(f"--source_config: no such directory {root}")
    prefix = str(config["prefix"])
    names = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            rel = os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/")
            if rel.startswith(prefix):
                names.append(rel)
    if not names:
        raise UsageError(f"no files found in {root}/{prefix}*")
    return f"{root}/{prefix}*", expand([os.path.join(root, n) for n in sorted(names)])


def source_objects(args: ErbArgs) -> tuple[str, list[SourceObject]]:
    provider = args.source_provider.upper()
    if provider not in SOURCE_PROVIDERS:
        raise UsageError(
            f"--source_provider {args.source_provider} is not supported (use one of {', '.join(SOURCE_PROVIDERS)})"
        )
    config = parse_config(args.source_config, "--source_config")
    if provider == "LOCAL":
        return local_objects(config)
    url = f"s3://{config['container']}/{config['prefix']}"
    return url, list_objects(url, s3_settings(config, provider, "--source_config"))


def _check(args: ErbArgs) -> None:
    if args.transformer_type != "xapi":
        raise UsageError(f"--transformer_type {args.transformer_type} is not supported: this tool makes xAPI")
    if args.destination_provider.upper() not in DESTINATION_PROVIDERS:
        raise UsageError(
            f"--destination_provider {args.destination_provider} is not supported "
            f"(use one of {', '.join(DESTINATION_PROVIDERS)})"
        )
    lrs = args.destination_provider.upper() == "LRS"
    if lrs and args.destination_config is not None:
        raise UsageError("--destination_config is not used with --destination_provider LRS")
    if not lrs and args.lrs_urls:
        raise UsageError("--lrs-urls needs --destination_provider LRS")
    if lrs and not args.lrs_urls and not args.dry_run:
        raise UsageError(
            "--destination_provider LRS needs --lrs-urls URL (there is no LMS database to find routes in); "
            "credentials come from LRS_USERNAME / LRS_PASSWORD"
        )


def run_transform_tracking_logs(args: ErbArgs) -> None:
    _check(args)
    description, objects = source_objects(args)
    engine = args.engine
    engine.sources = [description]
    engine.batch_size = args.batch_size
    engine.dry_run = args.dry_run
    provider = args.destination_provider.upper()
    if provider == "LRS":
        engine.dests = [f"lrs+{url}" for url in args.lrs_urls]  # several: each gets every statement
        engine.dest = engine.dests[0] if engine.dests else "-"
        engine.lrs = LrsOptions(
            batch_size=args.batch_size,
            sleep_between_batches=args.sleep_between_batches_secs,
            username=os.environ.get("LRS_USERNAME") or None,
        ).with_env_secrets()
    else:
        engine.sleep_between_batches = args.sleep_between_batches_secs
    if args.dry_run:
        engine.dest, engine.dests = "-", []
        run_xapi(engine, objects)
    elif provider == "LRS":
        run_xapi(engine, objects)
    elif provider == "LOCAL":
        _run_to_local_dir(engine, objects, parse_config(args.destination_config, "--destination_config"))
    else:
        _run_to_bucket(
            engine, objects, provider, parse_config(args.destination_config, "--destination_config")
        )


def _run_to_local_dir(engine: XapiArgs, objects: list[SourceObject], config: dict[str, Any]) -> None:
    """xAPI NDJSON into key/container/prefix/RUN-ID_xapi.log: one new file per run (resumes reuse it)."""
    if not config.get("key"):
        raise UsageError("--destination_config: LOCAL needs 'key' (the base directory)")
    directory = os.path.abspath(
        os.path.join(str(config["key"]), str(config["container"]), str(config["prefix"]))
    )
    os.makedirs(directory, exist_ok=True)
    engine.state_key_dest = f"dir:{directory}"  # the run key names the directory, not the file
    engine.state_dir = engine.state_dir or os.path.join(directory, ".aspects-backfill-state")
    engine.run_id = _run_id(engine)
    engine.dest = f"file:{os.path.join(directory, f'{engine.run_id}_xapi.log')}"
    run_xapi(engine, objects)


def _run_to_bucket(
    engine: XapiArgs, objects: list[SourceObject], provider: str, config: dict[str, Any]
) -> None:
    from .sinks.s3objects import S3ObjectSink
    from .sources_s3 import make_client

    bucket, prefix = str(config["container"]), str(config["prefix"]).strip("/")
    client = make_client(s3_settings(config, provider, "--destination_config"))
    engine.dest = f"s3://{bucket}/{prefix}"
    engine.state_key_dest = engine.dest
    engine.run_id = _run_id(engine)
    sink = S3ObjectSink(client, bucket, prefix, engine.run_id)
    run_xapi(engine, objects, sink=sink)


def _run_id(engine: XapiArgs) -> str:
    """The run id an interrupted run of this same command used, else a new one."""
    from .state import default_state_dir, new_run_id

    key = state_key(engine, run_options(engine))
    if not engine.restart:
        store = FileStateStore(os.path.join(engine.state_dir or default_state_dir(), f"{key}.json"))
        state = store.load()
        if state is not None and state.run_key == key and state.run_id:
            return state.run_id
    return new_run_id()
