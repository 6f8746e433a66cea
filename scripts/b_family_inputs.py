"""Tracking-log lines for the problem, forum and special-exam families, for golden tests and
randomized comparison with the oracle (event-routing-backends itself).

    python scripts/b_family_inputs.py fixtures OUT.log [--all-events]
    python scripts/b_family_inputs.py cases OUT.log
    python scripts/b_family_inputs.py variations OUT.log
    python scripts/b_family_inputs.py random OUT.log --count N --seed S

``fixtures``: every ERB fixture of these families as log lines, four ways each (``event`` as an
object and as a JSON string, with and without the LMS logger prefix). ``cases``: named edge
cases (users, courses, timestamps, browser and multi-question problems, missing fields), two
ways each. ``variations``: each
mutation below applied to each fixture it fits. ``random``: N lines with 1-4 random mutations.
Needs ``../shared/erb-fixtures`` (a development tool, not part of the product).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "erb-fixtures" / "current"
PREFIX = "2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - "
OFF_LIST = ("edx.grades.problem.submitted", "edx.problem.completed")  # not in ERB's allow-list
FAMILIES = (
    "problem_check",
    "showanswer",
    "edx.problem.",
    "edx.grades.problem.",
    "edx.forum.",
    "edx.special_exam.",
)

Event = dict
Mutation = Callable[[Event, random.Random], None]


def load_fixtures() -> list[tuple[str, Event]]:
    """(file stem, log-line dict) for each fixture of the families: ``data`` becomes ``event``."""
    if not FIXTURES.is_dir():
        sys.exit(f"missing {FIXTURES}")
    out = []
    for path in sorted(FIXTURES.glob("*.json")):
        if not path.name.startswith(FAMILIES):
            continue
        raw = json.loads(path.read_text())
        line = {k: v for k, v in raw.items() if k != "data"}
        if "event" not in line:
            line["event"] = raw.get("data", {})
        out.append((path.stem, line))
    return out


def render(line: Event, as_string: bool, prefix: bool, ascii_only: bool = True) -> str:
    line = dict(line)
    if as_string:
        line["event"] = json.dumps(line["event"], ensure_ascii=ascii_only)
    text = json.dumps(line, ensure_ascii=ascii_only)
    return PREFIX + text if prefix else text


def four_ways(line: Event) -> list[str]:
    return [render(line, s, p) for s in (False, True) for p in (False, True)]


# ---------------------------------------------------------------- helpers over a line


def pick(rng: random.Random, values: list):
    """A random choice, copied: the value lists must not be shared between lines."""
    return copy.deepcopy(rng.choice(values))


def payload(line: Event) -> dict:
    ev = line.get("event")
    if not isinstance(ev, dict):
        ev = line["event"] = {}
    return ev


def ctx(line: Event) -> dict:
    c = line.get("context")
    if not isinstance(c, dict):
        c = line["context"] = {}
    return c


def leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, (*path, k))
    if path:
        yield path


def set_path(obj, path, value, delete=False):
    for k in path[:-1]:
        obj = obj[k]
    if delete:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


ODD_VALUES = [
    None,
    "",
    0,
    1,
    -1,
    2.5,
    "2",
    "0",
    "abc",
    "ünïcødé ✓ 物理",
    True,
    False,
    [],
    {},
    ["a", "b"],
    {"k": 1},
]

# ---------------------------------------------------------------- mutations (any event)


def user_id(line, rng):
    ctx(line)["user_id"] = pick(rng, [6, "19", 42, 999, None, "", "abc", 3.0, "8"])


def username(line, rng):
    ctx(line).pop("user_id", None)
    value = pick(rng, ["audit", "zoë_ünicode", "nobody", "", None, "staff", 19])
    target = line if rng.random() < 0.5 else ctx(line)
    target["username"] = value
    (ctx(line) if target is line else line).pop("username", None)


def data_user(line, rng):
    payload(line)[pick(rng, ["user_id", "username"])] = pick(rng, [19, "6", "audit", "nobody", None, ""])


def course(line, rng):
    ctx(line)["course_id"] = pick(
        rng,
        [
            "ccx-v1:edX+DemoX+Demo_Course+ccx@1",
            "edX/Open_DemoX/edx_demo_course",
            "course-v1:Org.X+Phys-101+2024_T1",
            "course-v1:OpenedX+DemoX+DemoCourse",
            "course-v1:Nope+X+2020",
            "not a course key",
            "course-v1:edX+DemoX",
            "",
            None,
            123,
        ],
    )


def no_course(line, rng):
    ctx(line).pop("course_id", None)


def timestamp(line, rng):
    value = pick(
        rng,
        [
            "2023-05-01T10:00:00Z",
            "2023-05-01T10:00:00.123Z",
            "2023-05-01T10:00:00.1+00:00",
            "2023-05-01T10:00:00.123456+05:30",
            "2023-05-01T10:00:00-04:00",
            "2023-05-01 10:00:00+00:00",
            "2023-05-01T10:00:00",
            "garbage",
            1683000000,
            None,
        ],
    )
    line.pop("time", None)
    line["timestamp" if rng.random() < 0.7 else "time"] = value


def time_only(line, rng):
    ts = line.pop("timestamp", None) or line.get("time") or "2021-01-01T00:00:00.000001+00:00"
    line["time"] = ts


def session(line, rng):
    value = pick(rng, [None, "", "sëssion-✓", 12345, "abc"])
    line.pop("session", None)
    ctx(line)["session"] = value


def stale_data(line, rng):
    """A top-level ``data`` key before ``event``: the parser overwrites it in that position."""
    rest = {k: v for k, v in line.items()}
    line.clear()
    line["data"] = {"stale": True}
    line.update(rest)


def source(line, rng):
    where = pick(rng, ["top", "context", "both"])
    value = pick(rng, ["browser", "server", None, "mobile"])
    if where in ("top", "both"):
        line["event_source"] = value
    if where in ("context", "both"):
        ctx(line)["event_source"] = pick(rng, ["browser", "server"])


def drop_leaf(line, rng):
    paths = list(leaves(payload(line)))
    if paths:
        set_path(payload(line), pick(rng, paths), None, delete=True)


def odd_leaf(line, rng):
    paths = list(leaves(payload(line)))
    if paths:
        set_path(payload(line), pick(rng, paths), pick(rng, ODD_VALUES))


def odd_context_leaf(line, rng):
    paths = [p for p in leaves(ctx(line)) if p[0] not in ("user_id", "username")]
    if paths:
        set_path(ctx(line), pick(rng, paths), pick(rng, ODD_VALUES))


LOOKED_UP = [
    "display_name",
    "response_type",
    "submission",
    "success",
    "max_grade",
    "grade",
    "referer",
    "session",
    "event_source",
    "problem_id",
    "module_id",
    "hint_index",
    "thread_type",
    "vote_value",
    "usage_key",
    "user_id",
    "username",
    "answers",
    "attempts",
    "id",
    "title",
    "discussion",
]


def inject(line, rng):
    """A looked-up key somewhere else: ERB finds undotted keys anywhere, depth first."""
    homes = [line, ctx(line)]
    if isinstance(line.get("event"), dict):
        homes.append(line["event"])
        homes.extend(v for v in line["event"].values() if isinstance(v, dict))
    home = rng.choice(homes)
    value = pick(rng, [*ODD_VALUES, "browser", "correct", "choiceresponse", {"x_1": {"answer": "a"}}])
    home[pick(rng, LOOKED_UP)] = value


def shuffle(line, rng):
    """Another key order (the order decides which of two equal keys ERB finds first)."""
    items = list(line.items())
    rng.shuffle(items)
    line.clear()
    line.update(items)


def big_numbers(line, rng):
    paths = [p for p in leaves(payload(line)) if not isinstance(_get(payload(line), p), dict)]
    if paths:
        value = pick(rng, [12345678901234567890, 1e16, -0.0, 1.0, 0.1 + 0.2, 10**-7, 3])
        set_path(payload(line), pick(rng, paths), value)


def _get(obj, path):
    for k in path:
        obj = obj[k]
    return obj


GENERIC: list[Mutation] = [
    inject,
    shuffle,
    big_numbers,
    user_id,
    username,
    data_user,
    course,
    no_course,
    timestamp,
    time_only,
    session,
    stale_data,
    drop_leaf,
    odd_leaf,
    odd_context_leaf,
]

# ---------------------------------------------------------------- problems

ANSWERS = [
    "blue",
    'ünïcødé – 物理 ✓ "quoted" \\ back',
    ["a piano", "a guitar"],
    ["ü", "✓", "物理"],
    [],
    42,
    3.25,
    True,
    None,
    {"x": "y"},
    "",
]
RESPONSE_TYPES = [
    "optionresponse",
    "choiceresponse",
    "multiplechoiceresponse",
    "numericalresponse",
    "stringresponse",
    "formularesponse",
    "imageresponse",
    "truefalseresponse",
    "customresponse",
    "weirdresponse",
    "",
    None,
]


def submissions(line, rng):
    """A submission map with 0..5 questions, unicode and list answers, odd response types."""
    n = pick(rng, [0, 1, 1, 2, 3, 5])
    block = "a0effb954cca4759994f1ac9e9434bf4"
    subs = {}
    for i in range(n):
        sub = {
            "question": pick(rng, ["What colour is the sea?", "Quelle est la réponse ? 物理", "", "Q"]),
            "answer": pick(rng, ANSWERS),
            "response_type": pick(rng, RESPONSE_TYPES),
            "input_type": "optioninput",
            "correct": pick(rng, [True, False, None, "yes", 0]),
            "variant": "",
            "group_label": "",
        }
        for key in ("question", "answer", "correct", "response_type"):
            if rng.random() < 0.06:
                del sub[key]
        subs[f"{block}_{i + 2}_1"] = sub
    payload(line)["submission"] = subs


def grades(line, rng):
    ev = payload(line)
    ev["grade"] = pick(rng, [0, 1, 2, 2.5, None, "1", -1])
    ev["max_grade"] = pick(rng, [0, 1, 3, 4.0, None, "3", -2])


def answers(line, rng):
    payload(line)["answers"] = pick(rng, [{"a_2_1": "x"}, ["x", "ü"], "ü", None, {}, 7])
    payload(line).pop("submission", None) if rng.random() < 0.5 else None


def success(line, rng):
    payload(line)["success"] = pick(rng, ["correct", "incorrect", None, True, "partially-correct"])


def attempts(line, rng):
    payload(line)["attempts"] = pick(rng, [0, 1, 7, "3", None, 2.0])


def display_name(line, rng):
    module = ctx(line).setdefault("module", {})
    if isinstance(module, dict):
        module["display_name"] = pick(rng, ["Vraie ou fausse ✓", "", None, 5, "Checkboxes"])


def problem_id(line, rng):
    ev = payload(line)
    value = pick(
        rng,
        [
            "block-v1:edX+DemoX+Demo_Course+type@problem+block@ffee00112233",
            "no-at-sign",
            "",
            None,
            17,
            "block-v1:Org.X+Phys-101+2024_T1+type@problem+block@ü",
        ],
    )
    if rng.random() < 0.3:
        ev.pop("problem_id", None)
        ev["module_id"] = value
    else:
        ev["problem_id"] = value


def referer(line, rng):
    value = pick(
        rng,
        [
            "http://localhost:18000/courses/x/courseware/?activate_block_id=block-v1%3AedX%2BDemoX%2BDemo_Course%2Btype%40problem%2Bblock%40abc",
            "http://localhost:18000/xblock/block-v1:edX+DemoX+Demo_Course+type@vertical+block@e36?view=student_view",
            "http://localhost:18000/?activate_block_id=",
            "not a url at all",
            None,
            "",
        ],
    )
    line.pop("referer", None)
    ctx(line)["referer"] = value


def browser(line, rng):
    """A browser problem_check: its event is the submitted form, a plain string."""
    ctx(line)["event_source"] = "browser"
    line.pop("event_source", None)
    line["event"] = pick(
        rng,
        [
            "input_3fc5461f86764ad7bdbdf6cbdde61e66_2_1%5B%5D=choice_0",
            "input_ünï_2_1=ü",
            "nounderscore",
            "",
            "123",
            '{"problem_id": "block-v1:edX+DemoX+Demo_Course+type@problem+block@p1"}',
            {"answers": {"x": 1}},
        ],
    )


def hint(line, rng):
    ev = payload(line)
    ev["hint_index"] = pick(rng, [0, 1, "2", None, 1.5, [1]])
    if rng.random() < 0.3:
        ev["module_id"] = pick(rng, [None, "block-v1:edX+DemoX+Demo_Course+type@problem+block@ü", 5])


def weighted(line, rng):
    ev = payload(line)
    for key in ("weighted_earned", "weighted_possible"):
        choice = pick(rng, [0, 1, 2, 0.5, None, "1", "missing"])
        if choice == "missing":
            ev.pop(key, None)
        else:
            ev[key] = choice


PROBLEM: list[Mutation] = [submissions, grades, answers, success, attempts, display_name, problem_id, referer]
PROBLEM_CHECK_ONLY: list[Mutation] = [browser, source]

# ---------------------------------------------------------------- forum and exams


def forum_title(line, rng):
    payload(line)["title"] = pick(rng, ["Ünïcødé thread ✓", "", None, 42, ["t"], "Plain"])


def forum_id(line, rng):
    ev = payload(line)
    ev["id"] = pick(rng, ["64abcdfee68f35002fd013c6", "ü-42", 42, None, ""])


def forum_path(line, rng):
    pid = payload(line).get("id", "x")
    ctx(line)["path"] = pick(
        rng,
        [
            f"/api/discussion/v1/threads/{pid}/",
            f"/api/discussion/v1/comments/{pid}",
            "/api/discussion/v1/threads/",
            "/",
            "",
            None,
            7,
            f"/courses/x/discussion/{pid}/{pid}/",
        ],
    )


def forum_discussion(line, rng):
    payload(line)["discussion"] = pick(
        rng, [{"id": "64d1df0887e82a002b35a6f7"}, {"id": ""}, {"id": 0}, {}, None, "d"]
    )


def forum_mode(line, rng):
    ev = payload(line)
    ev[pick(rng, ["thread_type", "vote_value"])] = pick(rng, ["question", "up", "down", None, 3, ""])


FORUM: list[Mutation] = [forum_title, forum_id, forum_path, forum_discussion, forum_mode]


def exam_field(line, rng):
    ev = payload(line)
    key = pick(
        rng,
        [
            "exam_name",
            "exam_content_id",
            "exam_default_time_limit_mins",
            "attempt_started_at",
            "attempt_completed_at",
            "attempt_event_elapsed_time_secs",
            "attempt_id",
            "attempt_code",
        ],
    )
    if rng.random() < 0.25:
        ev.pop(key, None)
    else:
        ev[key] = pick(rng, ["Examen final ✓", "", None, 0, 90, 12.5, "45", False, {"a": None}])


EXAM: list[Mutation] = [exam_field]


def mutations_for(name: str) -> list[Mutation]:
    if name == "problem_check":
        return GENERIC + PROBLEM + PROBLEM_CHECK_ONLY
    if name in ("showanswer", "edx.problem.hint.demandhint_displayed", "edx.problem.completed"):
        return [*GENERIC, problem_id, hint, source]
    if name == "edx.grades.problem.submitted":
        return [*GENERIC, problem_id, weighted]
    if name.startswith("edx.forum."):
        return GENERIC + FORUM
    return GENERIC + EXAM


# ---------------------------------------------------------------- named cases


def _fixture(stem: str) -> Event:
    return copy.deepcopy(dict(load_fixtures())[stem])


def _multi(n: int, answers: list | None = None) -> Event:
    """A multi-question problem_check with ``n`` questions."""
    line = _fixture("problem_check(server,multiple_questions,partial_correct)")
    block = "a0effb954cca4759994f1ac9e9434bf4"
    types = ["optionresponse", "choiceresponse", "numericalresponse", "stringresponse", "customresponse"]
    line["event"]["submission"] = {
        f"{block}_{i + 2}_1": {
            "question": f"Question {i + 1} — ünïcødé?",
            "answer": (answers or ["réponse ✓"])[i % len(answers or ["réponse ✓"])],
            "response_type": types[i % len(types)],
            "input_type": "textline",
            "correct": i % 2 == 0,
            "variant": "",
            "group_label": "",
        }
        for i in range(n)
    }
    return line


def _edit(stem: str, *edits: tuple[tuple, object]) -> Event:
    """A fixture with values set (or removed, for the value ``DROP``) at key paths."""
    line = _fixture(stem)
    for path, value in edits:
        target = line
        for key in path[:-1]:
            target = target.setdefault(key, {})
        if value is DROP:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
    return line


DROP = object()
PC, PCB, SHOW, HINT = (
    "problem_check(server)",
    "problem_check(browser)",
    "showanswer",
    "edx.problem.hint.demandhint_displayed",
)
THREAD, EXAM_SUBMITTED = "edx.forum.thread.created", "edx.special_exam.proctored.attempt.submitted"
REF = ("context", "referer")


def case_lines() -> list[Event]:
    return [
        # users: id, username only, unicode username, unknown id, unknown name, none at all
        _edit(PC, (("context", "user_id"), 19)),
        _edit(PC, (("context", "user_id"), DROP), (("context", "username"), "audit")),
        _edit(PC, (("context", "user_id"), DROP), (("context", "username"), "zoë_ünicode")),
        _edit(PC, (("context", "user_id"), 4040)),
        _edit(PC, (("context", "user_id"), DROP), (("context", "username"), "ghost")),
        _edit(PC, (("context", "user_id"), DROP), (("context", "username"), DROP)),
        _edit(PC, (("context", "user_id"), "42")),
        # courses: CCX, old style, unicode name, unknown, malformed, none
        _edit(PC, (("context", "course_id"), "ccx-v1:edX+DemoX+Demo_Course+ccx@1")),
        _edit(PC, (("context", "course_id"), "edX/Open_DemoX/edx_demo_course")),
        _edit(PC, (("context", "course_id"), "course-v1:Org.X+Phys-101+2024_T1")),
        _edit(PC, (("context", "course_id"), "course-v1:Unknown+X+2020")),
        _edit(PC, (("context", "course_id"), "this is not a key")),
        _edit(PC, (("context", "course_id"), DROP)),
        # timestamps: Z, offsets, 3 or 6 digits, only "time", naive (refused)
        _edit(PC, (("timestamp",), "2024-02-29T23:59:59.123Z")),
        _edit(PC, (("timestamp",), "2024-02-29T23:59:59.123456-07:00")),
        _edit(PC, (("timestamp",), "2024-02-29T23:59:59+05:30")),
        _edit(PC, (("timestamp",), DROP), (("time",), "2024-02-29T23:59:59.5Z")),
        _edit(PC, (("timestamp",), "2024-02-29T23:59:59")),
        # browser problem_check: no referer, referer without block and no data, block from data, CCX
        _edit(PCB, (REF, DROP)),
        _edit(PCB, (REF, "http://localhost:18000/xblock/x?view=student_view"), (("event",), "")),
        _edit(PCB, (REF, "http://localhost:18000/xblock/x?view=student_view")),
        _edit(
            PCB,
            (
                REF,
                "http://localhost:18000/?activate_block_id=block-v1%3Aa%2Bb%2Bc%2Btype%40problem%2Bblock%40p",
            ),
        ),
        _edit(
            "problem_check(browser).ccx",
            (REF, "http://localhost:18000/xblock/x"),
            (("event",), "input_ccc_2_1=choice_1"),
        ),
        # multi-question problems: 1..6 questions, unicode and list answers
        _multi(1),
        _multi(2),
        _multi(3, [["ü", "✓"], "物理", 42]),
        _multi(6, ["a", ["b", "c"], 1.5, None, {"k": "v"}, ""]),
        _edit("problem_check(server,multiple_questions,correct)", (("context", "course_id"), DROP)),
        # problem_check results: numbers as strings, max grade 0, missing or null optional fields
        _edit(PC, (("event", "grade"), "1"), (("event", "max_grade"), DROP)),
        _edit(PC, (("event", "grade"), 1), (("event", "max_grade"), "2")),
        _edit(PC, (("event", "grade"), 0), (("event", "max_grade"), 0)),
        _edit(PC, (("event", "grade"), None), (("event", "max_grade"), None), (("event", "attempts"), None)),
        _edit(PC, (("event", "submission"), DROP), (("event", "answers"), {"x_2_1": ["ü"]})),
        _edit(PC, (("event", "submission"), {}), (("event", "answers"), ["ü", 1])),
        _edit(PC, (("context", "session"), DROP), (("context", "module"), DROP)),
        _edit(PC, (("event", "problem_id"), DROP)),
        _edit(
            PC,
            (("event", "problem_id"), DROP),
            (("event", "module_id"), "block-v1:x+y+z+type@problem+block@m"),
        ),
        _edit(PC, (("event", "submission"), {"q": {"answer": "a", "response_type": "numericalresponse"}})),
        # showanswer and hints: missing required fields, index 0
        _edit(SHOW, (("event", "problem_id"), DROP)),
        _edit(HINT, (("event", "hint_index"), 0)),
        _edit(HINT, (("event", "hint_index"), DROP)),
        _edit(HINT, (("event", "module_id"), DROP)),
        # forum: unicode title, no title, numeric id, no path, discussion without course
        _edit(THREAD, (("event", "title"), "Fil de discussion — 物理 ✓")),
        _edit(THREAD, (("event", "title"), DROP), (("event", "thread_type"), DROP)),
        _edit(THREAD, (("event", "id"), 1234)),
        _edit(THREAD, (("context", "path"), DROP)),
        _edit(THREAD, (("event", "discussion"), {"id": "d1"})),
        _edit(THREAD, (("event", "discussion"), {"id": "d1"}), (("context", "course_id"), DROP)),
        _edit("edx.forum.response.voted", (("event", "vote_value"), DROP)),
        # exams: no name (refused), no content id (dropped), null limits, float elapsed time
        _edit(EXAM_SUBMITTED, (("event", "exam_name"), DROP)),
        _edit(EXAM_SUBMITTED, (("event", "exam_content_id"), None)),
        _edit(
            EXAM_SUBMITTED,
            (("event", "exam_default_time_limit_mins"), None),
            (("event", "attempt_code"), None),
        ),
        _edit(
            EXAM_SUBMITTED,
            (("event", "attempt_event_elapsed_time_secs"), 0.5),
            (("event", "exam_name"), "Examen ✓"),
        ),
        _edit(EXAM_SUBMITTED, (("context", "course_id"), DROP)),
    ]


# ---------------------------------------------------------------- outputs


def fixture_lines(all_events: bool) -> list[str]:
    out = []
    for _, line in load_fixtures():
        if not all_events or line["name"] in OFF_LIST:
            out.extend(four_ways(line))
    return out


def variation_lines(all_events: bool, per: int = 1) -> list[str]:
    """Each mutation on each fixture it fits, with a few fixed seeds: broad and reproducible."""
    rng = random.Random(20261204)
    out = []
    for _stem, base in load_fixtures():
        if (base["name"] in OFF_LIST) != all_events:
            continue
        for mutate in mutations_for(base["name"]):
            for _ in range(per):
                line = copy.deepcopy(base)
                mutate(line, rng)
                out.append(render(line, rng.random() < 0.3, rng.random() < 0.5, rng.random() < 0.5))
    return out


def random_lines(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    bases = load_fixtures()
    out = []
    for _ in range(count):
        _, base = pick(rng, bases)
        line = copy.deepcopy(base)
        for mutate in rng.sample(mutations_for(base["name"]), k=rng.randint(1, 4)):
            mutate(line, rng)
        out.append(render(line, rng.random() < 0.3, rng.random() < 0.5, rng.random() < 0.5))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("kind", choices=("fixtures", "cases", "variations", "random"))
    parser.add_argument("out")
    parser.add_argument("--all-events", action="store_true", help="the events off ERB's allow-list")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.kind == "fixtures":
        lines = fixture_lines(args.all_events)
    elif args.kind == "cases":
        lines = [
            text for line in case_lines() for text in (render(line, False, True), render(line, True, False))
        ]
    elif args.kind == "variations":
        lines = variation_lines(args.all_events)
    else:
        lines = random_lines(args.count, args.seed)
    Path(args.out).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} lines to {args.out}")


if __name__ == "__main__":
    main()
