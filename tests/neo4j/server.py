"""Start a real Neo4j Community 5.26 server on loopback for tests.

The server is the Java launcher in ``tests/neo4j/launcher`` (neo4j-harness), built with
Maven on first use (or when its sources change) and run as a child process whose stdin
is a pipe: when this process exits or crashes, the pipe closes and the server shuts
itself down and deletes its temp directory.

Typical pytest use::

    from tests.neo4j.server import java_and_maven_available, start_server

    @pytest.fixture(scope="session")
    def neo4j_server():
        ok, reason = java_and_maven_available()
        if not ok:
            pytest.skip(reason)
        server = start_server()
        yield server
        server.stop()

Only the standard library is used.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USER",
    "Neo4jServer",
    "Neo4jServerError",
    "build_launcher",
    "java_and_maven_available",
    "start_server",
]

DEFAULT_USER = "neo4j"
DEFAULT_PASSWORD = "bridgework-test"
DEFAULT_HEAP = "2g"

HERE = Path(__file__).resolve().parent
LAUNCHER_DIR = HERE / "launcher"
TARGET_DIR = LAUNCHER_DIR / "target"
LAUNCHER_JAR = TARGET_DIR / "neo4j-launcher.jar"
LIB_DIR = TARGET_DIR / "lib"

_URI_PREFIX = "BOLT_URI="
_MIN_JAVA = 17


class Neo4jServerError(RuntimeError):
    """The launcher could not be built or the server did not start."""


# --------------------------------------------------------------------------- tools


def _java_executable() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java")


def _java_major_version(java: str) -> int | None:
    try:
        proc = subprocess.run(
            [java, "-version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_xxx" style
        major = int(match.group(2))
    return major


def _build_is_current() -> bool:
    """True when the launcher jar exists and is newer than the pom and every source file."""
    if not LAUNCHER_JAR.is_file() or not LIB_DIR.is_dir():
        return False
    jar_mtime = LAUNCHER_JAR.stat().st_mtime
    sources = [LAUNCHER_DIR / "pom.xml", *(LAUNCHER_DIR / "src").rglob("*")]
    return all(not p.is_file() or p.stat().st_mtime <= jar_mtime for p in sources)


def java_and_maven_available() -> tuple[bool, str]:
    """Check that the server can be started here.

    Returns ``(True, "")`` when Java 17+ is present and either Maven is on PATH or the
    launcher is already built and up to date; otherwise ``(False, reason)``.
    """
    java = _java_executable()
    if java is None:
        return False, "java not found (install a JDK 17+ or set JAVA_HOME)"
    major = _java_major_version(java)
    if major is None:
        return False, f"could not determine the version of {java}"
    if major < _MIN_JAVA:
        return False, f"{java} is Java {major}; Java {_MIN_JAVA}+ is required"
    if shutil.which("mvn") is None and not _build_is_current():
        return False, "mvn (Maven) not found and the Neo4j launcher is not built"
    return True, ""


# --------------------------------------------------------------------------- build


def build_launcher(*, force: bool = False) -> bool:
    """Build the launcher with Maven unless it is up to date.

    Returns True if a build ran. Safe to call from several processes at once (a file
    lock serialises builds). Raises Neo4jServerError with Maven's output on failure.
    """
    if not force and _build_is_current():
        return False
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    with open(TARGET_DIR / ".build.lock", "w", encoding="utf-8") as lock:
        _lock_file(lock)
        if not force and _build_is_current():  # built by someone else meanwhile
            return False
        mvn = shutil.which("mvn")
        if mvn is None:
            raise Neo4jServerError("mvn (Maven) not found; needed to build the Neo4j launcher")
        try:
            proc = subprocess.run(
                [mvn, "-B", "-q", "-Dstyle.color=never", "package"],
                cwd=LAUNCHER_DIR,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=1800,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise Neo4jServerError("Maven build of the Neo4j launcher timed out") from exc
        if proc.returncode != 0 or not LAUNCHER_JAR.is_file():
            raise Neo4jServerError(
                f"Maven build of the Neo4j launcher failed (exit {proc.returncode}):\n{proc.stdout}"
            )
        # `mvn package` may leave the jar untouched when nothing changed; mark it current.
        os.utime(LAUNCHER_JAR)
        return True


def _lock_file(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover - tests run on Linux
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


# --------------------------------------------------------------------------- server


class Neo4jServer:
    """A running launcher process. Use :func:`start_server` to create one."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        stderr_file: IO[str],
        reader: threading.Thread,
        uri: str,
        user: str,
        password: str,
        startup_seconds: float,
    ) -> None:
        self._process = process
        self._stderr_file = stderr_file
        self._reader = reader
        self.uri = uri
        self.user = user
        self.password = password
        self.startup_seconds = startup_seconds
        self._lock = threading.Lock()
        atexit.register(self.stop)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)

    def is_running(self) -> bool:
        return self._process.poll() is None

    def stop(self, timeout: float = 60.0) -> int | None:
        """Stop the server: close its stdin, wait up to ``timeout`` s, then SIGTERM/SIGKILL.

        Idempotent. Returns the process exit code (0 on a clean shutdown).
        """
        with self._lock:
            atexit.unregister(self.stop)
            _shutdown_process(self._process, timeout)
            self._reader.join(timeout=10)
            _close_quietly(self._process.stdout)
            _close_quietly(self._stderr_file)
            return self._process.returncode

    def stderr_text(self) -> str:
        """What the launcher wrote to stderr so far (empty on a quiet, healthy run)."""
        return _read_all(self._stderr_file)

    def __enter__(self) -> Neo4jServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"Neo4jServer(uri={self.uri!r}, pid={self.pid}, {state})"


def start_server(
    timeout: float = 180.0,
    *,
    password: str | None = None,
    port: int | None = None,
    heap: str | None = None,
    pagecache: str | None = None,
    build: bool = True,
) -> Neo4jServer:
    """Build the launcher if needed, start Neo4j and wait until Bolt is ready.

    ``password`` defaults to ``$BRIDGEWORK_NEO4J_PASSWORD`` or ``bridgework-test``;
    ``port`` defaults to a free port; ``heap`` (JVM -Xmx) to ``$BRIDGEWORK_NEO4J_HEAP``
    or ``2g``; ``pagecache`` to ``$BRIDGEWORK_NEO4J_PAGECACHE`` or ``512m``.
    ``timeout`` covers the start-up only, not a first-time Maven build.
    Raises Neo4jServerError (with the launcher's stderr) if the server does not start.
    """
    java = _java_executable()
    if java is None:
        raise Neo4jServerError("java not found (install a JDK 17+ or set JAVA_HOME)")
    if build:
        build_launcher()
    elif not LAUNCHER_JAR.is_file():
        raise Neo4jServerError(f"{LAUNCHER_JAR} is missing and build=False")

    password = password or os.environ.get("BRIDGEWORK_NEO4J_PASSWORD") or DEFAULT_PASSWORD
    heap = heap or os.environ.get("BRIDGEWORK_NEO4J_HEAP") or DEFAULT_HEAP
    env = dict(os.environ)
    env["BRIDGEWORK_NEO4J_PASSWORD"] = password
    if port is not None:
        env["BRIDGEWORK_NEO4J_BOLT_PORT"] = str(port)
    if pagecache:
        env["BRIDGEWORK_NEO4J_PAGECACHE"] = pagecache
    cmd = [java, f"-Xmx{heap}", "-XX:+UseG1GC", "-jar", str(LAUNCHER_JAR)]

    stderr_file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            cmd,
            cwd=LAUNCHER_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        stderr_file.close()
        raise Neo4jServerError(f"could not run {java}: {exc}") from exc

    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(
        target=_pump_stdout, args=(process, lines), name="neo4j-launcher-stdout", daemon=True
    )
    reader.start()

    uri: str | None = None
    deadline = started + timeout
    while uri is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            line = lines.get(timeout=min(remaining, 1.0))
        except queue.Empty:
            continue
        if line is None:  # stdout closed: the launcher exited
            break
        if line.startswith(_URI_PREFIX):
            uri = line[len(_URI_PREFIX) :].strip()

    if uri is None:
        _shutdown_process(process, 10.0)
        reader.join(timeout=10)
        _close_quietly(process.stdout)
        details = _read_all(stderr_file)
        stderr_file.close()
        what = (
            f"exited with code {process.returncode}"
            if time.monotonic() < deadline
            else f"did not report ready within {timeout:.0f} s"
        )
        raise Neo4jServerError(f"Neo4j launcher {what}:\n{details}")

    return Neo4jServer(
        process=process,
        stderr_file=stderr_file,
        reader=reader,
        uri=uri,
        user=DEFAULT_USER,
        password=password,
        startup_seconds=time.monotonic() - started,
    )


# --------------------------------------------------------------------------- helpers


def _pump_stdout(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    """Forward stdout lines until EOF (keeps the pipe drained for the server's lifetime)."""
    stream = process.stdout
    assert stream is not None
    with contextlib.suppress(ValueError, OSError):  # stream closed under us
        for line in stream:
            lines.put(line.rstrip("\n"))
    lines.put(None)


def _shutdown_process(process: subprocess.Popen[str], timeout: float) -> None:
    if process.stdin is not None and not process.stdin.closed:
        with contextlib.suppress(OSError):
            process.stdin.close()  # EOF on stdin = clean shutdown request
    try:
        process.wait(timeout=timeout)
        return
    except subprocess.TimeoutExpired:
        pass
    process.terminate()
    try:
        process.wait(timeout=10)
        return
    except subprocess.TimeoutExpired:
        pass
    process.kill()
    process.wait()


def _close_quietly(stream: IO[str] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()


def _read_all(handle: IO[str]) -> str:
    if handle.closed:
        return ""
    with contextlib.suppress(OSError, ValueError):
        handle.flush()
        handle.seek(0)
        return handle.read()
    return ""
