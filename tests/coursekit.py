"""Helpers for the courses tests: shared inputs, hand-made exports, Aspects' schema in chDB."""

from __future__ import annotations

import io
import os
import re
import tarfile
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.is_dir():
    SHARED = Path("/work/shared")
DEMO_TGZ = SHARED / "olx" / "demo-course-olx-nostatic.tar.gz"
SCHEMA_DIR = SHARED / "aspects-schema"
SCHEMA_FILES = (
    "effective_01_databases_users_functions.sql",
    "effective_02_alembic_tables.sql",
    "effective_03_dbt_models.sql",
)
PLUGIN_DUMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f+00:00"


def need(path: Path) -> Path:
    """Shared inputs: a loud failure in CI, a skip on a machine without ../shared."""
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing (CI=true)")
        pytest.skip(f"{path} is missing")
    return path


def load_aspects_schema(ch) -> None:
    """The three rendered schema files, with dictionaries reading the local server."""
    for name in SCHEMA_FILES:
        text = re.sub(r"--[^\n]*", "", need(SCHEMA_DIR / name).read_text())
        for statement in text.split(";\n"):
            statement = statement.strip().rstrip(";")
            if statement:
                ch.command(
                    statement.replace(
                        "user '<admin>' password '<admin_pw>' host 'localhost'", "user 'default'"
                    )
                )


def write_export(root: Path, files: dict[str, str | bytes]) -> Path:
    """An unpacked export under ``root/course`` (Studio's layout)."""
    for rel, content in files.items():
        path = root / "course" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def tar_export(path: Path, files: dict[str, str | bytes]) -> Path:
    """A ``.tar.gz`` export holding ``course/<rel>`` for each file."""
    with tarfile.open(path, "w:gz") as tar:
        for rel, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"course/{rel}")
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return path


def minimal_course(chapter_body: str = "", **extra: str) -> dict[str, str]:
    """A small valid export: course key course-v1:TestX+T101+2024, one chapter."""
    files = {
        "course.xml": '<course url_name="2024" org="TestX" course="T101"/>',
        "course/2024.xml": '<course display_name="Test Course" start="2024-01-01T00:00:00Z">'
        '<chapter url_name="ch1"/></course>',
        "chapter/ch1.xml": f'<chapter display_name="Chapter 1">{chapter_body}</chapter>',
    }
    files.update(extra)
    return files
