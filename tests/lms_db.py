"""A private MariaDB on 127.0.0.1 holding the LMS tables as edx-platform creates them.

Used by the identity tests and bench/bench_identities.py. The server is Debian's
``mariadb-server`` (installed by .ci/run), started on a free port with its own data directory
and stopped by the caller.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pymysql

# DDL as Django's MySQL backend emits it for edx-platform's models at head (auth_user from
# django.contrib.auth; external_user_ids migrations 0001-0009; course_overviews' CourseOverview;
# django-simple-history's historical table). ``{uuid}`` is char(32) (MySQL, older MariaDB
# installs) or MariaDB's native uuid (edx-platform migration external_user_ids 0009).
LMS_DDL = """
CREATE TABLE auth_user (
  id int(11) NOT NULL AUTO_INCREMENT,
  password varchar(128) NOT NULL,
  last_login datetime(6) DEFAULT NULL,
  is_superuser tinyint(1) NOT NULL,
  username varchar(150) NOT NULL,
  first_name varchar(150) NOT NULL,
  last_name varchar(150) NOT NULL,
  email varchar(254) NOT NULL,
  is_staff tinyint(1) NOT NULL,
  is_active tinyint(1) NOT NULL,
  date_joined datetime(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE external_user_ids_externalidtype (
  id int(11) NOT NULL AUTO_INCREMENT,
  created datetime(6) NOT NULL,
  modified datetime(6) NOT NULL,
  name varchar(32) NOT NULL,
  description longtext NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE external_user_ids_externalid (
  id int(11) NOT NULL AUTO_INCREMENT,
  created datetime(6) NOT NULL,
  modified datetime(6) NOT NULL,
  external_user_id {uuid} NOT NULL,
  external_id_type_id int(11) NOT NULL,
  user_id int(11) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY external_user_id (external_user_id),
  UNIQUE KEY external_user_ids_externalid_user_id_external_id_type_id_uniq (user_id, external_id_type_id),
  KEY external_user_ids_ex_external_id_type_id_idx (external_id_type_id),
  CONSTRAINT external_user_ids_ex_external_id_type_id_fk FOREIGN KEY (external_id_type_id)
    REFERENCES external_user_ids_externalidtype (id),
  CONSTRAINT external_user_ids_externalid_user_id_fk FOREIGN KEY (user_id) REFERENCES auth_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE external_user_ids_historicalexternalid (
  id int(11) NOT NULL,
  created datetime(6) NOT NULL,
  modified datetime(6) NOT NULL,
  external_user_id {uuid} NOT NULL,
  history_id int(11) NOT NULL AUTO_INCREMENT,
  history_date datetime(6) NOT NULL,
  history_change_reason varchar(100) DEFAULT NULL,
  history_type varchar(1) NOT NULL,
  external_id_type_id int(11) DEFAULT NULL,
  history_user_id int(11) DEFAULT NULL,
  user_id int(11) DEFAULT NULL,
  PRIMARY KEY (history_id),
  KEY external_user_ids_historicalexternalid_id_idx (id),
  KEY external_user_ids_historicalexternalid_external_user_id_idx (external_user_id),
  KEY external_user_ids_historicalexternalid_external_id_type_id_idx (external_id_type_id),
  KEY external_user_ids_historicalexternalid_history_user_id_idx (history_user_id),
  KEY external_user_ids_historicalexternalid_user_id_idx (user_id),
  CONSTRAINT external_user_ids_hi_history_user_id_fk FOREIGN KEY (history_user_id) REFERENCES auth_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE course_overviews_courseoverview (
  created datetime(6) NOT NULL,
  modified datetime(6) NOT NULL,
  version int(11) NOT NULL,
  id varchar(255) NOT NULL,
  _location varchar(255) NOT NULL,
  org longtext NOT NULL,
  display_name longtext DEFAULT NULL,
  display_number_with_default longtext NOT NULL,
  display_org_with_default longtext NOT NULL,
  start datetime(6) DEFAULT NULL,
  end datetime(6) DEFAULT NULL,
  start_date datetime(6) DEFAULT NULL,
  end_date datetime(6) DEFAULT NULL,
  advertised_start longtext DEFAULT NULL,
  announcement datetime(6) DEFAULT NULL,
  banner_image_url longtext NOT NULL,
  course_image_url longtext NOT NULL,
  social_sharing_url longtext DEFAULT NULL,
  end_of_course_survey_url longtext DEFAULT NULL,
  certificates_display_behavior longtext DEFAULT NULL,
  certificates_show_before_end tinyint(1) NOT NULL,
  cert_html_view_enabled tinyint(1) NOT NULL,
  has_any_active_web_certificate tinyint(1) NOT NULL,
  cert_name_short longtext NOT NULL,
  cert_name_long longtext NOT NULL,
  certificate_available_date datetime(6) DEFAULT NULL,
  lowest_passing_grade decimal(5,2) DEFAULT NULL,
  days_early_for_beta double DEFAULT NULL,
  mobile_available tinyint(1) NOT NULL,
  visible_to_staff_only tinyint(1) NOT NULL,
  _pre_requisite_courses_json longtext NOT NULL,
  enrollment_start datetime(6) DEFAULT NULL,
  enrollment_end datetime(6) DEFAULT NULL,
  enrollment_domain longtext DEFAULT NULL,
  invitation_only tinyint(1) NOT NULL,
  max_student_enrollments_allowed int(11) DEFAULT NULL,
  catalog_visibility longtext DEFAULT NULL,
  short_description longtext DEFAULT NULL,
  course_video_url longtext DEFAULT NULL,
  effort longtext DEFAULT NULL,
  complexity varchar(10) NOT NULL,
  faculty longtext DEFAULT NULL,
  directions longtext DEFAULT NULL,
  self_paced tinyint(1) NOT NULL,
  marketing_url longtext DEFAULT NULL,
  eligible_for_financial_aid tinyint(1) NOT NULL,
  has_highlights tinyint(1) DEFAULT NULL,
  enable_proctored_exams tinyint(1) NOT NULL,
  proctoring_provider longtext DEFAULT NULL,
  proctoring_escalation_email longtext DEFAULT NULL,
  allow_proctoring_opt_out tinyint(1) NOT NULL,
  entrance_exam_enabled tinyint(1) NOT NULL,
  entrance_exam_id varchar(255) NOT NULL,
  entrance_exam_minimum_score_pct double NOT NULL,
  force_on_flexible_peer_openassessments tinyint(1) NOT NULL,
  external_id varchar(128) DEFAULT NULL,
  language longtext DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO external_user_ids_externalidtype (created, modified, name, description) VALUES
  (NOW(6), NOW(6), 'mb_coaching', 'MicroBachelors Coaching'),
  (NOW(6), NOW(6), 'lti', 'LTI Xblock launches'),
  (NOW(6), NOW(6), 'caliper', 'Caliper Specification event transformer'),
  (NOW(6), NOW(6), 'xapi', 'xAPI Specification event transformer');
"""

ROOT_PASSWORD = "root-secret-Zq7"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDB:
    """mariadb-install-db + mariadbd in ``workdir``; ``stop()`` ends it and removes nothing else."""

    def __init__(self, workdir: Path, fast_unsafe: bool = True, buffer_pool: str = "256M") -> None:
        server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        installer = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        if not os.path.exists(server) or not installer:
            raise FileNotFoundError(
                "mariadbd / mariadb-install-db not found (apt-get install mariadb-server)"
            )
        self.workdir = workdir
        self.port = _free_port()
        data = workdir / "data"
        user = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(
            [
                installer,
                "--no-defaults",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user,
            ],
            check=True,
            capture_output=True,
        )
        durability = (
            ["--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--sync-binlog=0"]
            if fast_unsafe
            else []
        )
        self.proc = subprocess.Popen(
            [
                server,
                "--no-defaults",
                f"--datadir={data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={workdir / 'mysqld.sock'}",
                f"--pid-file={workdir / 'mysqld.pid'}",
                f"--log-error={workdir / 'error.log'}",
                "--skip-name-resolve",
                f"--innodb-buffer-pool-size={buffer_pool}",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
                *durability,
                *user,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._password = ""
        self._wait_ready()
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("ALTER USER 'root'@'localhost' IDENTIFIED BY %s", (ROOT_PASSWORD,))
        self._password = ROOT_PASSWORD

    def _wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.proc.poll() is not None:
                log = (self.workdir / "error.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"mariadbd exited with {self.proc.returncode}:\n{log}")
            try:
                self.connect().close()
                return
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def connect(self, database: str | None = None, autocommit: bool = True) -> pymysql.Connection:
        """An administrator's connection (root over the private socket)."""
        return pymysql.connect(
            unix_socket=str(self.workdir / "mysqld.sock"),
            user="root",
            password=self._password,
            database=database,
            charset="utf8mb4",
            autocommit=autocommit,
        )

    def create_lms(self, name: str, uuid_type: str = "char(32)") -> None:
        """A fresh database ``name`` with the LMS tables, and users ``lms_rw`` / ``lms_ro`` on it."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
            cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            cur.execute(f"USE {name}")
            for stmt in LMS_DDL.format(uuid=uuid_type).split(";"):
                if stmt.strip():
                    cur.execute(stmt)
            for user, grant in (("lms_rw", "SELECT, INSERT, UPDATE, DELETE"), ("lms_ro", "SELECT")):
                cur.execute(f"CREATE USER IF NOT EXISTS '{user}'@'127.0.0.1' IDENTIFIED BY 'pw-{user}'")
                cur.execute(f"GRANT {grant} ON {name}.* TO '{user}'@'127.0.0.1'")

    def url(self, database: str, user: str = "lms_rw") -> str:
        return f"mysql://{user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------- filling the LMS as it would


def add_users(conn: pymysql.Connection, users: list[tuple[int, str]]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, "
            "is_staff, is_active, date_joined) VALUES (%s, '!', 0, %s, '', '', %s, 0, 1, NOW(6))",
            [(uid, name, f"{uid}@example.com") for uid, name in users],
        )


def add_xapi_ids(conn: pymysql.Connection, ids: list[tuple[int, str]], uuid_type: str = "char(32)") -> None:
    """ExternalId rows of type xapi, stored as the column type wants (hex or dashed)."""
    as_char = uuid_type.startswith("char")
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM external_user_ids_externalidtype WHERE name = 'xapi'")
        type_id = cur.fetchone()[0]
        cur.executemany(
            "INSERT INTO external_user_ids_externalid (created, modified, external_user_id, external_id_type_id, "
            "user_id) VALUES (NOW(6), NOW(6), %s, %s, %s)",
            [(uuid.UUID(ext).hex if as_char else ext, type_id, uid) for uid, ext in ids],
        )


def add_course(conn: pymysql.Connection, key: str, name: str | None) -> None:
    org = key.split(":", 1)[-1].split("+")[0]
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO course_overviews_courseoverview (created, modified, version, id, _location, org, "
            "display_name, display_number_with_default, display_org_with_default, banner_image_url, "
            "course_image_url, certificates_show_before_end, cert_html_view_enabled, "
            "has_any_active_web_certificate, cert_name_short, cert_name_long, mobile_available, "
            "visible_to_staff_only, _pre_requisite_courses_json, invitation_only, complexity, self_paced, "
            "eligible_for_financial_aid, enable_proctored_exams, allow_proctoring_opt_out, "
            "entrance_exam_enabled, entrance_exam_id, entrance_exam_minimum_score_pct, "
            "force_on_flexible_peer_openassessments) VALUES (NOW(6), NOW(6), 19, %s, %s, %s, %s, '', %s, '', '', "
            "0, 0, 0, '', '', 0, 0, '[]', 0, 'medium', 0, 1, 0, 0, 0, '', 0.65, 0)",
            (key, key.replace("course-v1:", "block-v1:") + "+type@course+block@course", org, name, org),
        )


@contextlib.contextmanager
def running_mariadb(workdir: Path, fast_unsafe: bool = True, buffer_pool: str = "256M"):
    server = MariaDB(workdir, fast_unsafe, buffer_pool)
    try:
        yield server
    finally:
        server.stop()
