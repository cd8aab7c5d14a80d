"""Fixtures: the fake Writer server, and ways to run the real ``writer-chat`` against it."""

from __future__ import annotations

import io
import os
import shutil
import signal
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from chatbot.cli import main
from chatbot.env import Env
from tests.fake_server import TEST_KEY, FakeWriter
from tests.terminal import Terminal

# Hypothesis: a quick run before every commit; HYPOTHESIS_PROFILE=thorough for a long search.
settings.register_profile("suite", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

WRITER_CHAT = str(Path(sys.executable).with_name("writer-chat"))
XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                 "XDG_CONFIG_DIRS", "XDG_DATA_DIRS", "XDG_RUNTIME_DIR")  # fmt: skip


def _isolated_folders(base: Path) -> dict[str, str]:
    """HOME and every XDG folder under ``base``, so nothing of the user's is read or written."""
    folders = {
        "HOME": base,
        "XDG_CONFIG_HOME": base / ".config",
        "XDG_DATA_HOME": base / "data",
        "XDG_CACHE_HOME": base / ".cache",
        "XDG_STATE_HOME": base / ".local" / "state",
        "XDG_CONFIG_DIRS": base / "etc-xdg",
        "XDG_RUNTIME_DIR": base / "run",
    }
    return {name: str(path) for name, path in folders.items()}


def pytest_configure(config: pytest.Config) -> None:
    """This test process (each worker too) and everything it starts get a HOME and XDG folders
    of their own: a test that forgets its ``home`` fixture still touches nothing of the user's.
    uv, which a packaging test runs, keeps the cache it was given."""
    import tempfile

    if not hasattr(config, "workerinput"):  # the controller, before any worker starts
        _compile_the_package()

    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ.setdefault("UV_CACHE_DIR", os.path.join(cache, "uv"))
    base = Path(tempfile.mkdtemp(prefix="writer-chat-tests-"))
    (base / "run").mkdir(mode=0o700)
    os.environ.pop("XDG_DATA_DIRS", None)
    os.environ.update(_isolated_folders(base))


def _compile_the_package() -> None:
    """Compile chatbot/ once, before the four workers and the hundreds of programs the tests
    start would each compile it (tests/__init__.py: compiled modules are kept). In a fresh
    checkout that was a fifth of the suite's time; later it costs a look at each file."""
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parents[1] / "chatbot", quiet=2)


@pytest.fixture
def fake() -> Iterator[FakeWriter]:
    with FakeWriter() as server:
        yield server


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_fake(certificate: tuple[Path, Path]) -> Iterator[FakeWriter]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with FakeWriter(tls=context) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty working directory and data home, so no real .env or history is touched."""
    (tmp_path / "work").mkdir()
    (tmp_path / "data").mkdir()
    return tmp_path


def memory_env(environ: dict[str, str] | None = None, cwd: str | Path = ".") -> Env:
    """An Env of memory streams (not terminals) and the given environment, for a module tested
    on its own: what it writes is in ``env.stdout.getvalue()``."""
    return Env(None, io.StringIO(), io.StringIO(), environ or {}, str(cwd))


def cli_env(home: Path, base_url: str | None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WRITER_", "NO_COLOR")) and k not in ("COLUMNS", "LINES")
        if k not in XDG_VARIABLES
    }
    env.update(_isolated_folders(home), WRITER_API_KEY=TEST_KEY, PYTHONUNBUFFERED="1")
    if base_url:
        env["WRITER_BASE_URL"] = base_url
    env.update(extra)
    return env


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode()


def in_process(
    args: Sequence[str],
    stdin: bytes | None,
    environ: dict[str, str],
    cwd: Path,
    *,
    on_terminal: bool = False,
) -> Result:
    """``writer-chat ARGS`` run in this process with an Env of its own: stdin and stdout are
    held in memory, pipes unless ``on_terminal`` says they are a terminal (what is drawn is
    then the program's terminal output), the environment and working directory are the
    test's. Nothing of the test process is read; the same code path as the console script."""
    stdin_stream = None if stdin is None else io.TextIOWrapper(io.BytesIO(stdin), "utf-8")
    out_bytes = io.BytesIO()
    stdout = io.TextIOWrapper(out_bytes, "utf-8", write_through=True)
    stderr = io.StringIO()
    env = Env(stdin_stream, stdout, stderr, environ, str(cwd),
              stdin_isatty=on_terminal, stdout_isatty=on_terminal)  # fmt: skip
    started_in = os.getcwd()
    os.chdir(cwd)  # relative paths the user types are the OS's to resolve, as in the program
    try:
        code = main.run(list(args), env)
    finally:
        os.chdir(started_in)
    stdout.flush()
    return Result(code, out_bytes.getvalue(), stderr.getvalue())


@pytest.fixture
def run_cli(fake: FakeWriter, home: Path):
    """Run ``writer-chat ARGS`` with stdout not a terminal: in-process (an Env of memory
    streams), or as the real program through pipes with ``process=True``. ``on_terminal``:
    in-process with stdin and stdout said to be a terminal."""

    def run(
        *args: str,
        stdin: bytes | None = b"",
        timeout: float = 30,
        process: bool = False,
        on_terminal: bool = False,
        **env: str,
    ) -> Result:
        environment = cli_env(home, fake.url, **env)
        for key, value in env.items():
            if value is None:
                environment.pop(key, None)
        if not process:
            return in_process(args, stdin, environment, home / "work", on_terminal=on_terminal)
        done = subprocess.run(
            [WRITER_CHAT, *args],
            input=stdin,
            capture_output=True,
            env=environment,
            cwd=home / "work",
            timeout=timeout,
        )
        return Result(done.returncode, done.stdout, done.stderr.decode())

    return run


@pytest.fixture
def terminal(fake: FakeWriter, home: Path) -> Iterator[Callable[..., Terminal]]:
    """Start ``writer-chat ARGS`` on a terminal (in memory; a pseudo-terminal with
    ``pty=True``) and wait for its first prompt."""
    opened: list[Terminal] = []

    def start(*args: str, pty: bool = False) -> Terminal:
        term = Terminal([WRITER_CHAT, *args], cli_env(home, fake.url), str(home / "work"), pty=pty)
        opened.append(term)
        term.wait_for_prompt(1)
        return term

    yield start
    for term in opened:
        term.close()


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt in this process, as in the program (a test worker may
    ignore it), for tests that press Ctrl-C by sending the signal."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
