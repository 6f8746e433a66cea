#!/usr/bin/env python
"""Differential check against event-routing-backends (the oracle) on randomised log lines.

Builds N variations of every ERB fixture (all 65 xAPI event names: users by id and name,
known/unknown/CCX/malformed courses, timestamp shapes, dropped or null or retyped fields, event
as object or JSON string, with or without the LMS syslog prefix, broken lines), runs the oracle
and this package's transform on the same lines and prints, per event name, how many lines gave
identical results, then the first differences. Statements are compared as JSON text with sorted
keys, so an int where ERB writes a float counts as a difference.

    python scripts/oracle_diff.py -n 3000 [--seed 1] [--show 20] [--keep DIR]
    python scripts/oracle_diff.py --keys 30000     # course-key parsing against opaque-keys itself
    python scripts/oracle_diff.py --timestamps 30000   # timestamps against tincan itself

Needs ../shared (fixtures and oracle); nothing it writes is meant to be committed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
if not SHARED.exists():
    SHARED = Path("/work/shared")
FIXTURES = SHARED / "erb-fixtures" / "current"
ORACLE = SHARED / "erb-oracle" / "oracle"
ORACLE_PYTHON = Path(os.environ.get("ERB_PYTHON", Path.home() / ".cache/erb-oracle/venv-10.1.0/bin/python"))
GOLDEN = ROOT / "tests" / "golden"
sys.path.insert(0, str(ROOT / "src"))

from aspects_backfill.identities import load_actors_csv, load_courses_csv  # noqa: E402
from aspects_backfill.pipeline import RunOptions, transform_line  # noqa: E402
from aspects_backfill.transform import Context, Rejected, Skipped  # noqa: E402

PREFIX = "2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - "
# event names ERB registers that no fixture carries: borrow the fixture of a same-class event
ALIASES = {
    "edx.video.completed": "complete_video",
    "edx.video.loaded": "load_video",
    "edx.video.paused": "pause_video",
    "edx.video.played": "play_video",
    "edx.video.stopped": "stop_video",
    "edx.video.transcript.hidden": "hide_transcript",
    "edx.video.transcript.shown": "show_transcript",
    "edx.ui.lms.sequence.outline.selected": "edx.ui.lms.outline.selected",
}
USERS = [3, "3", 6, 19, 42, "honor", "audit", "zoë_ünicode", "edx", 999, "ghost", None, "", 3.0, " 6 ", True]
COURSES = [
    "course-v1:edX+DemoX+Demo_Course",
    "ccx-v1:edX+DemoX+Demo_Course+ccx@1",
    "course-v1:OpenedX+DemoX+DemoCourse",
    "course-v1:Org.X+Phys-101+2024_T1",
    "edX/Open_DemoX/edx_demo_course",
    "slashes:edX+DemoX+Demo_Course",
    "course-v1:edX+DemoX+Demo_Course+type@course+block@course",
    "course-v1:edX+DemoX+Demo_Course+branch@draft",
    "course-v1:Unknown+X+2020",
    "ccx-v1:edX+DemoX+Demo_Course+ccx@99",
    "course-v1:edX+DemoX",
    "course-v1:edX DemoX Demo",
    "not a key",
    "",
    None,
    5,
]
TIMESTAMPS = [
    "{d}T{t}.123456+00:00",
    "{d}T{t}.123456Z",
    "{d}T{t}.123Z",
    "{d}T{t}Z",
    "{d}T{t}+05:30",
    "{d}T{t}.5-07:00",
    "{d}T{t}.123456789Z",
    "{d}T{t}.000000+00:00",
    "{d}T{t}.123456",
    "{d} {t}.123456+00:00",
    "{d}T{t}-00:00",
    "{d}T24:00:00Z",
    "20230822T{t}Z",
    "not a time",
    1692735385,
    1692735385.25,
    "",
    None,
    True,
    [2023, 8, 22],
    "REMOVE",
]
ODD_VALUES = [
    None,
    "",
    0,
    1,
    "1",
    2.5,
    "2.5",
    [],
    {},
    True,
    False,
    "é✓",
    -1,
    "null",
    float("nan"),
    2**70,
    "\ud800",
    1e308,
]


def load_fixtures() -> dict[str, list[dict]]:
    by_name: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(FIXTURES.glob("*.json")):
        raw = json.loads(path.read_text())
        by_name[raw["name"]].append(fixture_to_event(raw))
    for alias, source in ALIASES.items():
        by_name[alias] = [dict(e, name=alias) for e in by_name[source]]
    return dict(by_name)


def fixture_to_event(raw: dict) -> dict:
    """A fixture as a tracking-log event: its ``data`` becomes ``event``."""
    event = dict(raw)
    data = event.pop("data", None)
    event.setdefault("event", data)
    return event


# ---------------------------------------------------------------- mutations


def _dict_at(event: dict, key: str) -> dict | None:
    value = event.get(key)
    return value if isinstance(value, dict) else None


def mut_user(rng: random.Random, e: dict) -> str:
    value = rng.choice(USERS)
    where = rng.choice(["context.user_id", "event.user_id", "username", "context.username", "event.username"])
    scope, _, key = where.rpartition(".")
    target = _dict_at(e, scope) if scope else e
    if target is None:
        return "user:-"
    target[key] = value
    return f"user:{where}={value!r}"


def mut_course(rng: random.Random, e: dict) -> str:
    value = rng.choice(COURSES)
    ctx = _dict_at(e, "context")
    if ctx is None:
        return "course:-"
    ctx["course_id"] = value
    data = _dict_at(e, "event")
    if data is not None and "course_id" in data and rng.random() < 0.7:
        data["course_id"] = value
    return f"course={value!r}"


def mut_timestamp(rng: random.Random, e: dict) -> str:
    form = rng.choice(TIMESTAMPS)
    value = (
        form.format(d="2023-08-22", t=f"20:{rng.randrange(60):02}:{rng.randrange(60):02}")
        if isinstance(form, str)
        else form
    )
    key = "time" if rng.random() < 0.3 else "timestamp"
    e.pop("timestamp", None)
    e.pop("time", None)
    if value != "REMOVE":
        e[key] = value
    return f"{key}={value!r}"


def _leaf_paths(value: object, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out.append((*path, k))
            out.extend(_leaf_paths(v, (*path, k)))
        return out
    return []


def _pick_path(rng: random.Random, e: dict) -> tuple | None:
    scope = rng.choice(["event", "event", "event", "context"])
    paths = [(scope, *p) for p in _leaf_paths(e.get(scope))]
    return rng.choice(paths) if paths else None


def _parent(e: dict, path: tuple) -> dict:
    node = e
    for key in path[:-1]:
        node = node[key]
    return node


def mut_drop(rng: random.Random, e: dict) -> str:
    path = _pick_path(rng, e)
    if not path:
        return "drop:-"
    del _parent(e, path)[path[-1]]
    return "drop:" + ".".join(map(str, path))


def mut_retype(rng: random.Random, e: dict) -> str:
    path = _pick_path(rng, e)
    if not path:
        return "retype:-"
    parent = _parent(e, path)
    old = parent[path[-1]]
    if isinstance(old, bool) or old is None:
        new = rng.choice(ODD_VALUES)
    elif isinstance(old, (int, float)):
        new = rng.choice([str(old), None, str(float(old)), -old, 0])
    elif isinstance(old, str):
        try:
            new = rng.choice([float(old), int(float(old))])
        except ValueError:
            new = rng.choice([*ODD_VALUES, old + " ✓", old.upper()])
    else:
        new = rng.choice(ODD_VALUES)
    parent[path[-1]] = new
    return f"retype:{'.'.join(map(str, path))}={new!r}"


def mut_structure(rng: random.Random, e: dict) -> str:
    """Swap a whole scope for another shape, or hide a key deeper (found depth-first by ERB)."""
    kind = rng.choice(["scope", "nested", "nested", "both-times"])
    if kind == "scope":
        scope = rng.choice(["context", "event"])
        e[scope] = rng.choice(["text", [1, 2], None, 7, {}, {"course_id": None}])
        return f"{scope}={e[scope]!r}"
    if kind == "both-times":
        e["time"] = "2024-01-02T03:04:05.678Z"
        return "time and timestamp"
    key = rng.choice(["user_id", "username", "session", "timestamp", "course_id", "block_id", "id"])
    value = rng.choice(
        [3, "honor", 999, "s3ss10n", "2024-01-02T03:04:05Z", "course-v1:edX+DemoX+Demo_Course"]
    )
    holder = rng.choice(["context", "event"])
    if isinstance(e.get(holder), dict):
        e[holder].setdefault("module", {})
        if isinstance(e[holder]["module"], dict):
            e[holder]["module"][key] = value
        if rng.random() < 0.5:
            e[holder].pop(key, None)
            e.pop(key, None)
    return f"nested {holder}.module.{key}={value!r}"


def _retype_all(value: object, to_text: bool) -> object:
    if isinstance(value, dict):
        return {k: _retype_all(v, to_text) for k, v in value.items()}
    if isinstance(value, list):
        return [_retype_all(v, to_text) for v in value]
    if to_text and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not to_text and isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value


def mut_retype_all(rng: random.Random, e: dict) -> str:
    """Every number of the event data as text, or every numeric text as a number."""
    to_text = rng.random() < 0.5
    e["event"] = _retype_all(e.get("event"), to_text)
    return "all numbers as text" if to_text else "all numeric text as numbers"


def mut_rename(rng: random.Random, e: dict, names: list[str]) -> str:
    e["name"] = rng.choice([*names, "edx.unknown.event", "edx.grades.problem.submitted", "page_close"])
    return f"name={e['name']}"


def mutate(rng: random.Random, event: dict, names: list[str]) -> tuple[str, list[str]]:
    """One log line (text) and the labels of what was changed."""
    e = copy.deepcopy(event)
    labels: list[str] = []
    steps = [
        (0.5, mut_user),
        (0.4, mut_course),
        (0.5, mut_timestamp),
        (0.3, mut_drop),
        (0.3, mut_drop),
        (0.4, mut_retype),
        (0.3, mut_retype),
    ]
    for p, fn in steps:
        if rng.random() < p:
            labels.append(fn(rng, e))
    if rng.random() < 0.15:
        labels.append(mut_structure(rng, e))
    if rng.random() < 0.1:
        labels.append(mut_retype_all(rng, e))
    if rng.random() < 0.05:
        labels.append(mut_rename(rng, e, names))
    if rng.random() < 0.1 and isinstance(e.get("context"), dict):
        e["context"].pop("session", None)
        e.pop("session", None)
        labels.append("no session")
    if rng.random() < 0.5:
        e["event"] = json.dumps(e.get("event"))
        labels.append("event as string")
    if rng.random() < 0.02:
        e.pop("event", None)
        labels.append("no event key")
    line = json.dumps(e, ensure_ascii=rng.random() < 0.5)
    try:
        line.encode()
    except UnicodeEncodeError:  # a lone surrogate can only travel escaped
        line = json.dumps(e)
    if rng.random() < 0.5:
        line = PREFIX + line
        labels.append("prefix")
    if rng.random() < 0.02:
        line = line[: rng.randrange(1, len(line))]
        labels.append("truncated")
    return line, labels


def build_lines(n: int, seed: int, only: str | None = None) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    fixtures = load_fixtures()
    names = sorted(fixtures)
    if only:
        names = [name for name in names if any(part in name for part in only.split(","))]
    lines, labels = [], []
    for i in range(n):
        name = names[i % len(names)]
        line, lab = mutate(rng, rng.choice(fixtures[name]), names)
        lines.append(line)
        labels.append(lab)
    return lines, labels


# ---------------------------------------------------------------- running both sides


def run_oracle(path: Path, users: Path, courses: Path, all_events: bool, root: str) -> dict[int, dict]:
    cmd = [str(ORACLE), "--lms-root-url", root, "--users", str(users), "--courses", str(courses), str(path)]
    if all_events:
        cmd.insert(1, "--all-events")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {r["line"]: r for r in map(json.loads, out.splitlines())}


def run_ours(lines: list[str], users: Path, courses: Path, all_events: bool, root: str) -> dict[int, dict]:
    ctx = Context(
        lms_root_url=root,
        transformer_version="event-routing-backends@1.1.1",
        actors=load_actors_csv(str(users)),
        courses=load_courses_csv(str(courses)),
    )
    opts = RunOptions(all_events=all_events)
    results = {}
    for number, line in enumerate(lines, start=1):
        try:
            _, statements = transform_line(line.encode(), ctx, opts)
            results[number] = {"status": "ok", "statements": statements}
        except Skipped as exc:
            results[number] = {"status": "skipped", "reason": exc.reason}
        except Rejected as exc:
            results[number] = {"status": "rejected", "reason": exc.reason, "detail": exc.detail}
        except Exception as exc:  # a crash is the worst difference of all
            results[number] = {"status": "CRASH", "reason": f"{type(exc).__name__}: {exc}"}
    return results


def _status(record: dict) -> str:
    return {"ok": "ok", "skipped": "skipped", "rejected": "rejected", "CRASH": "CRASH"}.get(
        record["status"], "rejected"
    )


def json_diffs(a: object, b: object, path: str = "$") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                out.append(f"{path}.{key}: oracle has it, ours not ({json.dumps(b[key])[:80]})")
            elif key not in b:
                out.append(f"{path}.{key}: ours has it, oracle not ({json.dumps(a[key])[:80]})")
            else:
                out += json_diffs(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in json_diffs(x, y, f"{path}[{i}]")
        ]
    if json.dumps(a) != json.dumps(b):
        return [f"{path}: ours {json.dumps(a)[:100]} oracle {json.dumps(b)[:100]}"]
    return []


def compare(lines, labels, ours, oracle, show: int) -> int:
    table: dict[str, Counter] = defaultdict(Counter)
    shown = 0
    for number in range(1, len(lines) + 1):
        want, got = oracle[number], ours[number]
        name = str(want.get("event") or "(unparsable)")
        same = _status(want) == _status(got)
        if same and got["status"] == "ok":
            same = json.dumps(got["statements"], sort_keys=True) == json.dumps(
                want["statements"], sort_keys=True
            )
        table[name]["identical" if same else "different"] += 1
        table[name]["ok"] += want["status"] == "ok"
        if not same and shown < show:
            shown += 1
            print(f"--- line {number} [{name}] {'; '.join(labels[number - 1])}")
            if _status(want) != _status(got):
                print(
                    f"    status: ours {got['status']} ({got.get('reason')}: {got.get('detail', '')[:120]})"
                    f" oracle {want['status']} ({want.get('reason') or want.get('error', '')[:160]})"
                )
            else:
                for d in json_diffs(got["statements"], want["statements"])[:6]:
                    print("    " + d)
    print(f"\n{'event':48} {'identical':>9} {'different':>9} {'oracle ok':>9}")
    total = Counter()
    for name in sorted(table):
        c = table[name]
        total.update(c)
        print(f"{name:48} {c['identical']:9} {c['different']:9} {c['ok']:9}")
    print(f"{'TOTAL':48} {total['identical']:9} {total['different']:9} {total['ok']:9}")
    return total["different"]


def check_keys(n: int, seed: int) -> int:
    """Course keys: our parser against opaque-keys' CourseKey.from_string, run in the oracle's venv."""
    from aspects_backfill.transform.keys import _canonical

    rng = random.Random(seed)
    good = [
        "edX",
        "DemoX",
        "Demo_Course",
        "a",
        "b.c",
        "x-y",
        "~t",
        "é",
        "物理",
        "1",
        "r:2",
        "%41",
        "branch@draft",
        "version@" + "a" * 24,
        "Version@" + "B" * 24,
        "ccx@1",
        "CCX@2",
        "ccx@١",
        "type@problem",
        "block@xyz",
        "block@a%b",
    ]
    odd = [":", " ", "\n", "/", "@", "+", "", "version@abc", "BRANCH@b", "type@", "block@"]
    spaces = ["course-v1", "ccx-v1", "library-v1", "slashes", "lib", "block-v1", "Course-v1", "", "i4x"]

    def part() -> str:
        return rng.choice(good if rng.random() < 0.9 else odd)

    keys = set()
    for _ in range(n):
        if rng.random() < 0.25:
            keys.add("/".join(part() for _ in range(rng.choice([2, 3, 3, 4]))))
        else:
            body = "+".join(part() for _ in range(rng.randint(2, 6)))
            keys.add(f"{rng.choice(spaces)}:{body}" if rng.random() < 0.9 else body)
    probe = (
        "import json,sys\nfrom opaque_keys.edx.keys import CourseKey\nout={}\n"
        "for k in json.load(sys.stdin):\n    try: out[k]=str(CourseKey.from_string(k))\n"
        "    except Exception: out[k]=None\njson.dump(out,sys.stdout)\n"
    )
    ref = json.loads(
        subprocess.run(
            [str(ORACLE_PYTHON), "-c", probe],
            input=json.dumps(sorted(keys)),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    bad = [(k, v, _canonical(k)) for k, v in ref.items() if _canonical(k) != v]
    valid = sum(v is not None for v in ref.values())
    renamed = sum(v is not None and v != k for k, v in ref.items())
    print(f"{len(ref)} keys, {valid} valid, {renamed} with another canonical text, {len(bad)} different")
    for k, v, got in bad[:20]:
        print(f"  {k!r}: opaque-keys {v!r}, ours {got!r}")
    return len(bad)


def check_timestamps(n: int, seed: int) -> int:
    """Timestamps: ours against tincan's Statement(timestamp=...), run in the oracle's venv."""
    from aspects_backfill.transform import Rejected
    from aspects_backfill.transform.timestamps import normalise_timestamp

    rng = random.Random(seed)

    def num(width: int, top: int) -> str:
        return (
            f"{rng.randrange(top):0{width}d}"
            if rng.random() < 0.95
            else rng.choice(["", "9" * width, "٣" * width])
        )

    values: set = set()
    for _ in range(n):
        date = rng.choice(
            [
                f"{num(4, 10000)}-{num(2, 14)}-{num(2, 33)}",
                f"{num(4, 3000)}{num(2, 13)}{num(2, 32)}",
                f"{num(4, 3000)}-{num(3, 367)}",
                f"{num(4, 3000)}-W{num(2, 54)}-{rng.randrange(9)}",
            ]
        )
        time_ = rng.choice(
            [
                f"{num(2, 26)}:{num(2, 62)}:{num(2, 62)}",
                f"{num(2, 25)}{num(2, 60)}{num(2, 60)}",
                f"{num(2, 25)}:{num(2, 60)}",
                f"{num(2, 25)}",
            ]
        )
        frac = rng.choice(
            ["", "", f".{num(rng.randint(1, 12), 10**12)[: rng.randint(1, 12)]}", f",{rng.randrange(1000)}"]
        )
        tz = rng.choice(
            [
                "Z",
                "Z",
                "+00:00",
                "-00:00",
                f"+{num(2, 26)}:{num(2, 62)}",
                f"-{num(2, 25)}{num(2, 60)}",
                f"+{num(2, 25)}",
                "",
                "z",
                " Z",
            ]
        )
        sep = rng.choice(["T", "T", "T", " ", "t"])
        values.add(f"{date}{sep}{time_}{frac}{tz}")
    values |= {1692735385, 1692735385.25, -1, 0.5, 10**12}
    probe = (
        "import json,sys\nfrom tincan import Statement\nout=[]\n"
        "for v in json.load(sys.stdin):\n    try: out.append(Statement(timestamp=v).timestamp.isoformat())\n"
        "    except Exception: out.append(None)\njson.dump(out,sys.stdout)\n"
    )
    ordered = sorted(values, key=str)
    ref = json.loads(
        subprocess.run(
            [str(ORACLE_PYTHON), "-c", probe],
            input=json.dumps(ordered),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    bad = []
    for value, want in zip(ordered, ref, strict=True):
        try:
            got = normalise_timestamp(value)
        except Rejected:
            got = None
        if got != want:
            bad.append((value, want, got))
    valid = sum(v is not None for v in ref)
    print(f"{len(ordered)} timestamps, {valid} accepted by tincan, {len(bad)} different")
    for value, want, got in bad[:20]:
        print(f"  {value!r}: tincan {want!r}, ours {got!r}")
    return len(bad)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=2000, help="lines to generate")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--show", type=int, default=20, help="differences to print")
    p.add_argument("--all-events", action="store_true")
    p.add_argument("--lms-root-url", default="http://localhost:18000")
    p.add_argument("--only", help="comma-separated parts of event names to limit the fixtures to")
    p.add_argument("--keep", help="write the generated log and both outputs to this directory")
    p.add_argument("--keys", type=int, metavar="N", help="instead: check N random course keys")
    p.add_argument("--timestamps", type=int, metavar="N", help="instead: check N random timestamps")
    p.add_argument("--users", default=str(GOLDEN / "users.csv"))
    p.add_argument("--courses", default=str(GOLDEN / "courses.csv"))
    args = p.parse_args()
    if args.keys:
        return 1 if check_keys(args.keys, args.seed) else 0
    if args.timestamps:
        return 1 if check_timestamps(args.timestamps, args.seed) else 0
    lines, labels = build_lines(args.n, args.seed, args.only)
    if args.keep:
        return run_and_compare(args, lines, labels, Path(args.keep))
    with tempfile.TemporaryDirectory(prefix="oracle-diff-") as tmp:
        return run_and_compare(args, lines, labels, Path(tmp))


def run_and_compare(
    args: argparse.Namespace, lines: list[str], labels: list[list[str]], workdir: Path
) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "input.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    oracle = run_oracle(log, Path(args.users), Path(args.courses), args.all_events, args.lms_root_url)
    ours = run_ours(lines, Path(args.users), Path(args.courses), args.all_events, args.lms_root_url)
    if args.keep:
        (workdir / "ours.jsonl").write_text(
            "\n".join(json.dumps({"line": k, **v}) for k, v in ours.items()) + "\n"
        )
        (workdir / "oracle.jsonl").write_text("\n".join(json.dumps(oracle[k]) for k in sorted(oracle)) + "\n")
    return 1 if compare(lines, labels, ours, oracle, args.show) else 0


if __name__ == "__main__":
    sys.exit(main())
