"""aspects-backfill: load Open edX history into Aspects (ClickHouse) fast and exactly once."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aspects-backfill")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0"
