"""xAPI vocabulary ERB uses: verbs, activity types, extension keys, language tags."""

XAPI_VERSION = "1.0.3"
EN = "en"
EN_US = "en-US"

# verbs: (id, display)
ASKED = ("http://adlnet.gov/expapi/verbs/asked", "asked")
ATTEMPTED = ("http://adlnet.gov/expapi/verbs/attempted", "attempted")
COMPLETED = ("http://adlnet.gov/expapi/verbs/completed", "completed")
DELETED = ("https://w3id.org/xapi/dod-isd/verbs/deleted", "deleted")
EARNED = ("http://id.tincanapi.com/verb/earned", "earned")
EDITED = ("https://w3id.org/xapi/acrossx/verbs/edited", "edited")
EVALUATED = ("https://w3id.org/xapi/acrossx/verbs/evaluated", "evaluated")
FAILED = ("http://adlnet.gov/expapi/verbs/failed", "failed")
INITIALIZED = ("http://adlnet.gov/expapi/verbs/initialized", "initialized")
INTERACTED = ("http://adlnet.gov/expapi/verbs/interacted", "interacted")
NAVIGATED = ("https://w3id.org/xapi/dod-isd/verbs/navigated", "navigated")
PASSED = ("http://adlnet.gov/expapi/verbs/passed", "passed")
PAUSED = ("https://w3id.org/xapi/video/verbs/paused", "paused")
PLAYED = ("https://w3id.org/xapi/video/verbs/played", "played")
POSTED = ("https://w3id.org/xapi/acrossx/verbs/posted", "posted")
PROGRESSED = ("http://adlnet.gov/expapi/verbs/progressed", "progressed")
REGISTERED = ("http://adlnet.gov/expapi/verbs/registered", "registered")
REPORTED = ("https://w3id.org/xapi/acrossx/verbs/reported", "reported")
SEEKED = ("https://w3id.org/xapi/video/verbs/seeked", "seeked")
TERMINATED = ("http://adlnet.gov/expapi/verbs/terminated", "terminated")
UNREGISTERED = ("http://id.tincanapi.com/verb/unregistered", "unregistered")
UNREPORTED = ("https://w3id.org/xapi/openedx/verb/unreported", "unreported")
VIEWED = ("http://id.tincanapi.com/verb/viewed", "viewed")
VOTED = ("https://w3id.org/xapi/openedx/verb/voted", "voted")

# activity types
ACTIVITY_ATTEMPT = "http://adlnet.gov/expapi/activities/attempt"
ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"
ACTIVITY_DISCUSSION = "http://id.tincanapi.com/activitytype/discussion"
ACTIVITY_INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
ACTIVITY_LINK = "http://adlnet.gov/expapi/activities/link"
ACTIVITY_MODULE = "http://adlnet.gov/expapi/activities/module"
ACTIVITY_QUESTION = "http://adlnet.gov/expapi/activities/question"
ACTIVITY_RESOURCE = "http://id.tincanapi.com/activitytype/resource"
ACTIVITY_SOLUTION = "http://id.tincanapi.com/activitytype/solution"
ACTIVITY_SUPPLEMENTAL_INFO = "https://w3id.org/xapi/acrossx/extensions/supplemental-info"
ACTIVITY_VIDEO = "https://w3id.org/xapi/video/activity-type/video"

# extension keys
EXT_TRANSFORMER_VERSION = "https://w3id.org/xapi/openedx/extension/transformer-version"
EXT_SESSION_ID = "https://w3id.org/xapi/openedx/extensions/session-id"
EXT_VIDEO_LENGTH = "https://w3id.org/xapi/video/extensions/length"
EXT_VIDEO_TIME = "https://w3id.org/xapi/video/extensions/time"
EXT_VIDEO_TIME_FROM = "https://w3id.org/xapi/video/extensions/time-from"
EXT_VIDEO_TIME_TO = "https://w3id.org/xapi/video/extensions/time-to"
EXT_VIDEO_CC_ENABLED = "https://w3id.org/xapi/video/extensions/cc-enabled"
EXT_SPEED_FROM = "https://w3id.org/xapi/openedx/extension/speed-from"
EXT_SPEED_TO = "https://w3id.org/xapi/openedx/extension/speed-to"
EXT_MODE = "https://w3id.org/xapi/acrossx/extensions/type"
EXT_ATTEMPT_ID = "http://id.tincanapi.com/extension/attempt-id"
EXT_TOTAL_ITEMS = "https://w3id.org/xapi/acrossx/extensions/total-items"
EXT_STARTING_POSITION = "http://id.tincanapi.com/extension/starting-position"
EXT_ENDING_POINT = "http://id.tincanapi.com/extension/ending-point"
EXT_GRADE_CLASSIFICATION = "http://www.tincanapi.co.uk/activitytypes/grade_classification"
EXT_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
EXT_TIME_LIMIT = "https://w3id.org/xapi/acrossx/extensions/time-limit"
EXT_ATTEMPT_STARTED = "https://w3id.org/xapi/openedx/extension/attempt-started"
EXT_ATTEMPT_COMPLETED = "https://w3id.org/xapi/openedx/extension/attempt-completed"
EXT_DURATION = "http://id.tincanapi.com/extension/duration"
