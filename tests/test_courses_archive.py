"""Malicious archives and directories are refused before anything is parsed or written."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from aspects_backfill.clickhouse import open_clickhouse
from aspects_backfill.courses import archive
from aspects_backfill.courses.archive import UnsafeExport, open_export
from coursekit import minimal_course, tar_export, write_export

SRC = Path(__file__).resolve().parents[1] / "src"


def evil_tar(path: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    """A valid small export plus one extra member."""
    with tarfile.open(path, "w:gz") as tar:
        for rel, content in minimal_course().items():
            info = tarfile.TarInfo(f"course/{rel}")
            info.size = len(content.encode())
            tar.addfile(info, io.BytesIO(content.encode()))
        member.size = len(data) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


def info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = link
    return member


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (info("/etc/cron.d/x"), "unsafe member path"),
        (info("course/../../escape.xml"), "escapes the archive"),
        (info("course/static/link", tarfile.SYMTYPE, "/etc/passwd"), "is a link"),
        (info("course/chapter/hard.xml", tarfile.LNKTYPE, "course/course.xml"), "is a link"),
        (info("course/dev", tarfile.CHRTYPE), "not a regular file"),
        (info("course/fifo", tarfile.FIFOTYPE), "not a regular file"),
    ],
)
def test_unsafe_members_are_refused(tmp_path, member, message):
    with pytest.raises(UnsafeExport, match=message):
        open_export(str(evil_tar(tmp_path / "evil.tar.gz", member, b"x")))


def test_decompression_bomb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 1024 * 1024)
    bomb = b"\0" * (8 * 1024 * 1024)  # 8 MiB of zeros: a few KB compressed
    path = tar_export(tmp_path / "bomb.tar.gz", {**minimal_course(), "html/bomb.xml": bomb})
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(UnsafeExport, match=r"html/bomb.xml is \d+ bytes"):
        open_export(str(path))


def test_total_size_limit_counts_assets(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1024 * 1024)
    path = tar_export(
        tmp_path / "big.tar.gz", {**minimal_course(), "static/video.mp4": b"\0" * (2 * 1024 * 1024)}
    )
    with pytest.raises(UnsafeExport, match="bytes in total"):
        open_export(str(path))


def test_assets_are_not_read(tmp_path):
    export = open_export(
        str(tar_export(tmp_path / "ok.tar.gz", {**minimal_course(), "static/a.pdf": b"%PDF"}))
    )
    assert "course.xml" in export.files and not any(p.startswith("static/") for p in export.files)


def test_directory_with_symlink_is_refused(tmp_path):
    root = write_export(tmp_path / "exp", minimal_course())
    os.symlink("/etc/passwd", root / "course" / "chapter" / "leak.xml")
    with pytest.raises(UnsafeExport, match="is a symlink"):
        open_export(str(root))


def test_not_a_tar(tmp_path):
    path = tmp_path / "junk.tar.gz"
    path.write_bytes(gzip.compress(b"not a tar at all" * 100))
    with pytest.raises(UnsafeExport, match=r"not a readable tar archive|no course\.xml"):
        open_export(str(path))


def test_cli_refuses_a_bad_export_and_still_loads_the_good_one(tmp_path):
    good = tar_export(tmp_path / "good.tar.gz", minimal_course())
    bad = evil_tar(tmp_path / "bad.tar.gz", info("course/../../x"))
    db = tmp_path / "db"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = subprocess.run(
        [sys.executable, "-m", "aspects_backfill", "courses", str(bad), str(good), "--to", f"chdb:{db}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 1
    assert "escapes the archive" in run.stderr and "1 loaded" in run.stderr and "1 failed" in run.stderr
    ch = open_clickhouse(f"chdb:{db}")
    try:
        assert ch.query(
            "SELECT course_key, count() FROM event_sink.course_overviews GROUP BY course_key"
        ) == [("course-v1:TestX+T101+2024", 1)]
    finally:
        ch.close()
