"""Hardened uploads: size limits, hostile file names, and zip archives that try to escape or explode.

Uploads go through the real API (``POST /api/uploads``) as an admin; a zip
is unpacked by the background ingest task, so the tests wait for the task
and look at what it left on disk: only the upload's own folder may ever be
written, and a refused archive leaves nothing unpacked behind.
"""

from __future__ import annotations

import gc
import io
import json
import os
import stat
import struct
import time
import zipfile
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.test import run_wsgi_app

from tests import apps
from web import tasks
from web.data import unzip
from web.store import close_store

DATA = Path(__file__).resolve().parents[1] / "data"
MESSAGE = (DATA / "one.eml").read_bytes()


@pytest.fixture
def make(tmp_path):
    """Apps with their own settings (closed at the end); the data folder is ``tmp_path/data``."""
    made = []

    def build(**config):
        # these tests look at what lands in the upload folder, so it is kept after the ingest
        config = {"KEEP_UPLOADS": True, **config}
        app = apps.make_app(tmp_path, INTERNAL_DOMAINS=["example.com"], **config)
        made.append(app)
        return app

    yield build
    for app in made:
        tasks.shutdown(app)
        close_store(app)


def post(app, *files: tuple[bytes, str], kind: str = "email", path: str = "/api/uploads"):
    client = app.test_client()
    data = {"kind": kind, "file": [(io.BytesIO(content), name) for content, name in files]}
    return client.post(path, data=data)


def finished(app, response) -> dict:
    assert response.status_code == 202, response.get_data(as_text=True)
    return tasks.get_runner(app).wait(response.get_json()["task"]["id"], timeout=60)


def everything_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")} if root.exists() else set()


def outside_files(tmp_path: Path, app) -> set[Path]:
    """Files anywhere under ``tmp_path`` but outside the app's upload folders and stores."""
    uploads = Path(app.config["DATA_DIR"]) / "uploads"
    return {
        p
        for p in everything_under(tmp_path)
        if p.is_file() and uploads not in p.parents and p.suffix not in (".sqlite3", ".db")
        and not p.name.endswith(("-wal", "-shm", "-journal"))
    }  # fmt: skip


# -- size limits -------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_anything_is_saved(make, tmp_path):
    app = make(UPLOAD_MAX_BYTES=50_000)
    response = post(app, (b"From x\n" + b"x" * 60_000, "big.mbox"))
    assert response.status_code == 413
    assert response.get_json()["ok"] is False and "limit" in response.get_json()["error"]
    assert not (tmp_path / "data" / "uploads").exists()
    page = post(app, (b"x" * 60_000, "big.mbox"), path="/data/uploads")
    assert page.status_code == 413 and "text/html" in page.content_type
    assert tasks.get_runner(app).recent() == []


# werkzeug leaves the spooled file of the part it was reading when the limit stops it to the
# garbage collector: collected (and its warning dropped) here rather than in a later test
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_streamed_body_without_a_length_is_cut_at_the_limit(make, tmp_path):
    app = make(UPLOAD_MAX_BYTES=50_000)
    client = app.test_client()
    boundary = "bound"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nemail\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mbox"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"x" * 1_000_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    with client.session_transaction() as session:
        token = session["csrf"]
    environ = EnvironBuilder(
        path="/api/uploads",
        method="POST",
        input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"X-CSRF-Token": token, "Transfer-Encoding": "chunked"},
    ).get_environ()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    environ["HTTP_COOKIE"] = f"{cookie.key}={cookie.value}"
    # as a WSGI server passes a chunked request: no length, the stream ends by itself
    environ.pop("CONTENT_LENGTH")
    environ["wsgi.input_terminated"] = True
    answer, status, _ = run_wsgi_app(app, environ, buffered=True)
    text = b"".join(answer).decode()
    assert status.startswith("413"), text
    assert json.loads(text)["error"].startswith("the upload is larger than the limit")
    assert not (tmp_path / "data" / "uploads").exists()
    gc.collect()


def test_too_many_form_parts_are_refused(make):
    app = make()
    client = app.test_client()
    data = {"kind": "email", **{f"field{i}": "x" for i in range(2_000)}}
    response = client.post("/api/uploads", data={**data, "file": (io.BytesIO(MESSAGE), "a.eml")})
    assert response.status_code == 413
    assert tasks.get_runner(app).recent() == []


# -- file names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../evil.eml",
        "..\\..\\evil.eml",
        "/etc/evil.eml",
        "C:\\Windows\\evil.eml",
        "a/../../../evil.eml",
        ".evil.eml",
        "ünïcödé 名前 \u202eevil.eml",
        "evil\x00.eml",
        "CON",
        "<script>x</script>.eml",
        "x" * 300 + ".eml",
    ],
)
def test_client_file_names_are_made_safe(make, tmp_path, name):
    app = make()
    task = finished(app, post(app, (MESSAGE, name)))
    assert task["state"] == "done", task["error"]
    uploads = Path(app.config["DATA_DIR"]) / "uploads"
    [folder] = uploads.iterdir()
    [saved] = folder.iterdir()
    assert saved.is_file() and saved.parent == folder
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in saved.name), saved.name
    assert not saved.name.startswith(".") and len(saved.name) <= 100
    assert outside_files(tmp_path, app) == set()
    assert not Path("/etc/evil.eml").exists()
    assert task["result"]["files"][0]["run"]["read"] == 1


# -- zip archives --------------------------------------------------------------------------------


def archive(*members: tuple[str | zipfile.ZipInfo, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as zipped:
        for name, content in members:
            zipped.writestr(name, content)
    return buffer.getvalue()


def symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def check_refused(app, tmp_path: Path, content: bytes, message: str) -> dict:
    """Upload ``content`` as a zipped maildir: the task fails saying ``message``, nothing stays."""
    started = time.perf_counter()
    task = finished(app, post(app, (content, "mail.zip")))
    assert task["state"] == "failed", task
    assert message in task["error"], task["error"]
    assert str(tmp_path) not in task["error"]  # no server paths in what users see
    [folder] = (Path(app.config["DATA_DIR"]) / "uploads").iterdir()
    assert [p.name for p in folder.iterdir()] == ["mail.zip"]  # nothing unpacked is left
    assert outside_files(tmp_path, app) == set()
    assert time.perf_counter() - started < 30
    return task


@pytest.mark.parametrize(
    "name",
    [
        "../../evil.eml",
        "maildir/../../evil.eml",
        "/tmp/evil.eml",
        "//server/share/evil.eml",
        "C:/evil.eml",
        "c:evil.eml",
        "..\\..\\evil.eml",
        "maildir\\..\\..\\evil.eml",
    ],
)
def test_zip_members_outside_their_folder_are_refused(make, tmp_path, name):
    app = make()
    content = archive(("maildir/cur/1.eml", MESSAGE), (name, MESSAGE))
    check_refused(app, tmp_path, content, "outside its folder")
    assert not (tmp_path / "evil.eml").exists() and not Path("/tmp/evil.eml").exists()


@pytest.mark.parametrize(
    "members",
    [
        [symlink("maildir/cur/link", "/etc/passwd")],
        [symlink("maildir/cur", "/tmp"), ("maildir/cur/evil.eml", MESSAGE)],
        [symlink("maildir", "../../.."), ("maildir/evil.eml", MESSAGE)],
    ],
)
def test_zip_symbolic_links_are_refused(make, tmp_path, members):
    app = make()
    content = archive(("maildir/new/1.eml", MESSAGE), *members)
    check_refused(app, tmp_path, content, "symbolic link")
    assert not Path("/tmp/evil.eml").exists()


def test_a_highly_compressed_member_is_stopped_at_the_limit(make, tmp_path):
    limit = 1_000_000
    app = make(UPLOAD_ZIP_MAX_BYTES=limit)
    bomb = archive(("maildir/cur/1.eml", MESSAGE), ("maildir/cur/zeros.eml", bytes(50_000_000)))
    assert len(bomb) < 100_000  # a ratio of about 1000:1
    check_refused(app, tmp_path, bomb, "unpacks to more than 976.6 KiB")


def test_sizes_the_archive_lies_about_are_not_trusted(tmp_path):
    """A member whose headers claim 10 bytes but whose data inflates to 5 MB."""
    honest = archive(("maildir/cur/zeros.eml", bytes(5_000_000)))
    lying = bytearray(honest)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = lying.find(signature)
        lying[at + offset : at + offset + 4] = struct.pack("<I", 10)  # uncompressed size
    path = tmp_path / "lying.zip"
    path.write_bytes(bytes(lying))
    target = tmp_path / "out"
    with pytest.raises(Exception) as caught:
        unzip(path, target, max_bytes=1_000_000, max_files=10)
    assert type(caught.value).__name__ == "InvalidInput"
    assert "cannot be unpacked" in str(caught.value) or "more than" in str(caught.value)
    assert not target.exists()


def test_too_many_members_are_refused_before_unpacking(make, tmp_path):
    app = make(UPLOAD_ZIP_MAX_FILES=100)
    many = archive(*((f"maildir/cur/{i}.eml", b"") for i in range(101)), method=zipfile.ZIP_STORED)
    check_refused(app, tmp_path, many, "holds 101 files; the limit is 100")


def test_a_zip_inside_the_zip_is_not_unpacked(make, tmp_path):
    app = make()
    inner = archive(("../../evil.eml", MESSAGE), ("zeros.eml", bytes(10_000_000)))
    outer = archive(("maildir/cur/1.eml", MESSAGE), ("maildir/cur/inner.zip", inner))
    task = finished(app, post(app, (outer, "mail.zip")))
    assert task["state"] == "done", task["error"]
    [folder] = (Path(app.config["DATA_DIR"]) / "uploads").iterdir()
    unpacked = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert unpacked == {"mail.zip", "mail/maildir/cur/1.eml", "mail/maildir/cur/inner.zip"}
    assert (folder / "mail/maildir/cur/inner.zip").read_bytes() == inner  # kept as bytes
    assert outside_files(tmp_path, app) == set()


def test_a_member_that_is_both_file_and_folder_fails_cleanly(make, tmp_path):
    app = make()
    content = archive(("maildir/cur/a", MESSAGE), ("maildir/cur/a/b.eml", MESSAGE))
    check_refused(app, tmp_path, content, "cannot be unpacked")


def test_unicode_member_names_stay_inside(make, tmp_path):
    app = make()
    content = archive(
        ("maildir/cur/ünï 名前.eml", MESSAGE), ("maildir/new/\u202eevil.eml", MESSAGE)
    )
    task = finished(app, post(app, (content, "mail.zip")))
    assert task["state"] == "done", task["error"]
    assert task["result"]["files"][0]["run"]["read"] == 2
    assert outside_files(tmp_path, app) == set()
    for path in everything_under(Path(app.config["DATA_DIR"]) / "uploads"):
        assert not os.path.islink(path)
