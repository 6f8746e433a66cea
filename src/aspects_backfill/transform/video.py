"""Video events (legacy names and ``edx.video.*``): loaded, played, paused, stopped, completed,
seeked, speed changes, transcript and caption toggles."""

from __future__ import annotations

from . import vocab
from .common import Context, Event, Statement, base_context, build, get, verb
from .values import extensions, iso_duration, seconds

_CC_SHOWN = frozenset(
    {"edx.video.closed_captions.shown", "edx.video.transcript.shown", "video_show_cc_menu", "show_transcript"}
)


def block_version(course_id: str) -> str:
    """``block-v1`` for ``course-v1:`` keys, ``ccx-block-v1`` for CCX keys (ERB's rule)."""
    prefix = course_id.split(":")[0]
    version = "block-" + prefix.split("-")[-1]
    return "ccx-" + version if "ccx" in prefix else version


def usage_key(course_id: str, block_type: str, block_id: str) -> str:
    return f"{block_version(course_id)}:{course_id.split(':')[1]}+type@{block_type}+block@{block_id}"


def _video(event: Event, ctx: Context, verb_pair: tuple[str, str], result: dict | None) -> list[Statement]:
    course_id = get(event, "context.course_id", True)
    video_id = get(event, "data.id", True)
    obj = {
        "objectType": "Activity",
        "id": f"{ctx.lms_root_url}/xblock/{usage_key(course_id, 'video', video_id)}",
        "definition": {"type": vocab.ACTIVITY_VIDEO},
    }
    context = base_context(event, ctx, **{vocab.EXT_VIDEO_LENGTH: seconds(get(event, "data.duration"))})
    return [build(event, ctx, verb(*verb_pair), obj, context, result)]


def _current_time(event: Event) -> float | None:
    return seconds(get(event, "data.current_time") or get(event, "data.currentTime"))


def loaded(event: Event, ctx: Context) -> list[Statement]:
    return _video(event, ctx, vocab.INITIALIZED, None)


def _interaction(verb_pair: tuple[str, str]):
    def transform(event: Event, ctx: Context) -> list[Statement]:
        result = {"extensions": extensions({vocab.EXT_VIDEO_TIME: _current_time(event)})}
        return _video(event, ctx, verb_pair, result)

    return transform


def captions(event: Event, ctx: Context) -> list[Statement]:
    result = {
        "extensions": extensions(
            {
                vocab.EXT_VIDEO_TIME: _current_time(event),
                vocab.EXT_VIDEO_CC_ENABLED: event["name"] in _CC_SHOWN,
            }
        )
    }
    return _video(event, ctx, vocab.INTERACTED, result)


def completed(event: Event, ctx: Context) -> list[Statement]:
    duration = seconds(get(event, "data.duration"))
    result: dict = {"extensions": extensions({vocab.EXT_VIDEO_TIME: duration}), "completion": True}
    if duration is not None:
        result["duration"] = iso_duration(duration)
    return _video(event, ctx, vocab.COMPLETED, result)


def seeked(event: Event, ctx: Context) -> list[Statement]:
    result = {
        "extensions": extensions(
            {
                vocab.EXT_VIDEO_TIME_FROM: seconds(get(event, "data.old_time")),
                vocab.EXT_VIDEO_TIME_TO: seconds(get(event, "data.new_time")),
            }
        )
    }
    return _video(event, ctx, vocab.SEEKED, result)


def speed_changed(event: Event, ctx: Context) -> list[Statement]:
    old, new = get(event, "data.old_speed"), get(event, "data.new_speed")
    result = {
        "extensions": {vocab.EXT_SPEED_FROM: "".join([old, "x"]), vocab.EXT_SPEED_TO: "".join([new, "x"])}
    }
    return _video(event, ctx, vocab.INTERACTED, result)


TRANSFORMS = {
    "load_video": loaded,
    "edx.video.loaded": loaded,
    "play_video": _interaction(vocab.PLAYED),
    "edx.video.played": _interaction(vocab.PLAYED),
    "pause_video": _interaction(vocab.PAUSED),
    "edx.video.paused": _interaction(vocab.PAUSED),
    "stop_video": _interaction(vocab.TERMINATED),
    "edx.video.stopped": _interaction(vocab.TERMINATED),
    "complete_video": completed,
    "edx.video.completed": completed,
    "seek_video": seeked,
    "edx.video.position.changed": seeked,
    "speed_change_video": speed_changed,
    **dict.fromkeys(
        [
            "hide_transcript",
            "show_transcript",
            "edx.video.transcript.hidden",
            "edx.video.transcript.shown",
            "video_hide_cc_menu",
            "video_show_cc_menu",
            "edx.video.closed_captions.hidden",
            "edx.video.closed_captions.shown",
        ],
        captions,
    ),
}
