"""What finding the API key costs, by where it is kept: a one-shot reply to a pipe, whole
process, with the key in the environment (the baseline, in the same run), in the keychain
(keyring loads only then; the backend here is the tests' file keychain, so a real Secret
Service or Keychain adds its own round trip), or printed by api_key_command.

    uv run python benchmarks/key_sources.py
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from _common import ROOT, TEST_KEY, WRITER_CHAT, FakeWriter, Script, env_for, median

RUNS = 15


def one_shot(env: dict[str, str], fake: FakeWriter) -> float:
    fake.queue(Script(pieces=["ok"]))
    start = time.perf_counter()
    subprocess.run([WRITER_CHAT, "go"], stdout=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    with FakeWriter() as fake:
        environment = env_for(fake.url)
        keychain = {k: v for k, v in environment.items() if k != "WRITER_API_KEY"}
        keychain.update(
            PYTHON_KEYRING_BACKEND="tests.keyring_backend.FileKeyring",
            WRITER_CHAT_TEST_KEYRING=str(Path(tempfile.mkdtemp()) / "keychain.json"),
            PYTHONPATH=str(ROOT),
        )
        subprocess.run(
            [WRITER_CHAT, "key", "set"], input=TEST_KEY.encode(), env=keychain, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        config_home = Path(tempfile.mkdtemp())
        (config_home / "writer-chat").mkdir()
        (config_home / "writer-chat" / "config.toml").write_text(
            f"api_key_command = \"printf '{TEST_KEY}'\"\n"
        )
        command = {k: v for k, v in environment.items() if k != "WRITER_API_KEY"}
        command["XDG_CONFIG_HOME"] = str(config_home)
        cases = {"environment": environment, "keychain": keychain, "api_key_command": command}
        for env in cases.values():
            one_shot(env, fake)  # bytecode caches
        runs: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(RUNS):
            for name, env in cases.items():
                runs[name].append(one_shot(env, fake))
    baseline = median(runs["environment"])
    for name, times in runs.items():
        figure = median(times)
        print(f"key from {name:<16} {1000 * figure:6.1f} ms  {figure / baseline:5.2f}x")


if __name__ == "__main__":
    main()
