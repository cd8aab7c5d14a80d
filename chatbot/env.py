"""The process as writer-chat sees it: its standard streams, whether each is a terminal, its
environment, its working directory and the folders it keeps files in.

Built once, in the console script (``Env.of_process()``), and handed down as an argument to
every module that touches the outside (typer's commands get it as ``ctx.obj``); there is no
global to fetch it from. Nothing else in the package reads ``sys.stdin``/``sys.stdout``/
``sys.stderr``, ``os.environ`` or ``isatty()`` (tests/test_env_rule.py keeps it so). A test
builds an Env of its own (streams in memory, an environment of its choosing) and runs the whole
command line in-process, as httpie's ``MockEnvironment`` does.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported: --version starts in a few milliseconds

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any, TextIO

APP_NAME = "writer-chat"
KEY_VARIABLE = "WRITER_API_KEY"  # the environment variable that holds the API key


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a file at all
        return False


class Env:
    """Standard streams, their tty flags, the environment and the working directory."""

    def __init__(
        self,
        stdin: TextIO | None,  # None: the process was started without one
        stdout: TextIO,
        stderr: TextIO,
        environ: Mapping[str, str],
        cwd: str,
        *,
        stdin_isatty: bool = False,
        stdout_isatty: bool = False,
        stderr_isatty: bool = False,
        is_process: bool = False,  # the real process: its file descriptors may be changed
        terminal_size: tuple[int, int] | None = None,  # (columns, lines) of a terminal in memory
        prompt_io: tuple[Any, Any] | None = None,  # keys and screen of a terminal in memory
    ) -> None:
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.environ = environ
        self.cwd = str(cwd)
        self.stdin_isatty = stdin_isatty
        self.stdout_isatty = stdout_isatty
        self.stderr_isatty = stderr_isatty
        self.is_process = is_process
        self._terminal_size = terminal_size
        # prompt_toolkit's Input and Output for every prompt (terminal/prompts.py builds the
        # process's on first use; a test gives a terminal in memory)
        self.prompt_io = prompt_io

    def __repr__(self) -> str:  # the environment holds the key: never shown
        return f"Env(cwd={self.cwd!r}, is_process={self.is_process})"

    @classmethod
    def of_process(cls) -> Env:
        """The running process: the one place that reads sys.std*, os.environ and isatty()."""
        return cls(
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            environ=os.environ,
            cwd=os.getcwd(),
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
            is_process=True,
        )

    def get(self, name: str, default: str = "") -> str:
        """An environment variable, or ``default`` when unset or empty."""
        return self.environ.get(name) or default

    def path(self, given: str | os.PathLike[str]) -> Path:
        """A path the user gave, ``~`` taken from this environment's HOME. A relative one
        stays relative, so messages name it as the user wrote it: the working directory is
        the process's (a test running in-process moves there for the run)."""
        from pathlib import Path

        path = Path(given)
        if str(given).startswith("~"):
            home = self.environ.get("HOME")
            path = Path(home, *path.parts[1:]) if home else path.expanduser()
        return path

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        """(columns, lines) of a terminal in memory; None: ask the real one each time (it may
        be resized)."""
        return self._terminal_size

    def terminal_lines(self) -> int:
        """The terminal's height, by shutil's rule: LINES, else stdout's terminal, else 24."""
        return self._size("LINES", 1, 24)

    def terminal_columns(self) -> int:
        """The terminal's width, by shutil's rule: COLUMNS, else stdout's terminal, else 80."""
        return self._size("COLUMNS", 0, 80)

    def _size(self, variable: str, index: int, default: int) -> int:
        given = self.environ.get(variable, "")
        if given.isdigit() and int(given) > 0:
            return int(given)
        if self._terminal_size is not None:
            return self._terminal_size[index]
        try:
            return os.get_terminal_size(self.stdout.fileno())[index]
        except (AttributeError, OSError, ValueError):
            return default

    # where files are kept: the XDG rules on Linux and the BSDs, platformdirs' elsewhere

    def data_dir(self) -> Path:
        """The user data folder (``XDG_DATA_HOME`` moves it), created private."""
        path = self._user_dir("XDG_DATA_HOME", ".local/share", "user_data_path")
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path

    def config_dir(self) -> Path:
        """The user config folder (``XDG_CONFIG_HOME`` moves it); not created here."""
        return self._user_dir("XDG_CONFIG_HOME", ".config", "user_config_path")

    def system_config_dirs(self) -> list[Path]:
        """Folders of system-wide config (``XDG_CONFIG_DIRS``, else /etc/xdg), most important
        first."""
        from pathlib import Path

        dirs = self.get("XDG_CONFIG_DIRS", "/etc/xdg")
        return [Path(d) / APP_NAME for d in dirs.split(os.pathsep) if d]

    def _user_dir(self, variable: str, under_home: str, platformdirs_name: str) -> Path:
        if sys.platform in ("darwin", "win32"):
            import platformdirs

            return getattr(platformdirs, platformdirs_name)(APP_NAME, appauthor=False)
        from pathlib import Path

        base = self.get(variable).strip()
        if not base or not os.path.isabs(base):  # the XDG rule: a relative value is ignored
            base = os.path.join(self.get("HOME") or os.path.expanduser("~"), under_home)
        return Path(base) / APP_NAME


class using:
    """For the length of a run, an Env that is not the process's stands in for ``sys.std*``,
    so what the libraries print on their own (click's and typer's help, a usage line) lands in
    it too. (The Env itself is handed down, never fetched from here.)"""

    def __init__(self, env: Env) -> None:
        self._env = env
        self._streams: tuple[object, object, object] | None = None

    def __enter__(self) -> Env:
        if not self._env.is_process:
            self._streams = (sys.stdin, sys.stdout, sys.stderr)
            sys.stdout, sys.stderr = self._env.stdout, self._env.stderr
            if self._env.stdin is not None:
                sys.stdin = self._env.stdin
        return self._env

    def __exit__(self, *exc: object) -> None:
        if self._streams is not None:
            sys.stdin, sys.stdout, sys.stderr = self._streams
