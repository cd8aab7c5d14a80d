"""History at scale: 20,000 conversations x 20 messages (400,000 messages) against one.

Builds both databases in a temporary directory with writer-chat's own schema (the large one
takes about a minute and 400 MB), then times whole processes, interleaved, against each, and
prints the medians and the ratio large / small with the goals:
  writer-chat history                       <= 1.5x
  writer-chat history search <common word>  <= 2x   (a word in every message)
  writer-chat history search <rare word>    <= 2x
  writer-chat -c "..."                      <= 1.3x (against the fake server)
  writer-chat (the REPL's first prompt)      no slower

    uv run python benchmarks/history.py [--conversations N]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from _common import WRITER_CHAT, FakeWriter, env_for, median
from startup import first_prompt

from chatbot.store.database import Store

RUNS = 9
WORDS = [f"w{n}" for n in range(5000)]


def build(path: Path, conversations: int) -> None:
    """``conversations`` of 20 messages, a day apart; "common" in every message, "zyzzyva" once;
    in each, one exchange set aside (undone: still in the history, out of the conversation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Store(path).close()  # the schema as writer-chat makes it
    db = sqlite3.connect(path, isolation_level=None)
    rng = random.Random(1)
    start = time.time() - conversations * 60
    db.execute("BEGIN")
    for number in range(conversations):
        cid, when = os.urandom(16).hex(), start + number * 60
        db.execute(
            "INSERT INTO conversations (id, created_at, updated_at, model, system, title)"
            " VALUES (?, ?, ?, 'palmyra-x5', NULL, ?)",
            (cid, when, when + 50, f"conversation {number}"),
        )
        rows = []
        for index in range(20):
            text = "common " + " ".join(rng.choice(WORDS) for _ in range(100))
            if number == conversations // 2 and index == 0:
                text += " zyzzyva"
            aside = "undone" if index in (2, 3) else None  # one exchange a conversation undone
            role = "user" if index % 2 == 0 else "assistant"
            rows.append((cid, role, text, when + index, aside))
        db.executemany(
            "INSERT INTO messages (conversation_id, role, content, status, created_at, set_aside)"
            " VALUES (?, ?, ?, 'complete', ?, ?)",
            rows,
        )
    db.execute("COMMIT")
    db.close()


def wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="writer-chat-history-"))
    homes = {"large": work / "large", "small": work / "small"}
    started = time.time()
    build(homes["large"] / "writer-chat" / "history.db", args.conversations)
    print(f"built {args.conversations * 20:,} messages in {time.time() - started:.0f} s")
    build(homes["small"] / "writer-chat" / "history.db", 1)
    commands = {
        "history": (["history"], 1.5),
        "history search <common word>": (["history", "search", "common"], 2.0),
        "history search <rare word>": (["history", "search", "zyzzyva"], 2.0),
        '-c "..."': (["--no-markdown", "-c", "and then?"], 1.3),
    }
    with FakeWriter() as fake:
        envs = {
            name: {**env_for(fake.url), "XDG_DATA_HOME": str(home)} for name, home in homes.items()
        }
        for env in envs.values():
            wall([WRITER_CHAT, "history"], env)  # the first open upgrades the schema if needed
        large_label = f"{args.conversations * 20 // 1000}k msgs"
        print(f"{'command':<32} {large_label:>9} {'1 conv.':>9} {'ratio':>7}  goal")
        for label, (argv, goal) in commands.items():
            times: dict[str, list[float]] = {"large": [], "small": []}
            for _ in range(RUNS):
                for name, env in envs.items():
                    times[name].append(wall([WRITER_CHAT, *argv], env))
            large, small = median(times["large"]), median(times["small"])
            print(
                f"{label:<32} {1000 * large:7.0f} ms {1000 * small:7.0f} ms {large / small:6.2f}x"
                f"  <= {goal}x"
            )
        prompts: dict[str, list[float]] = {"large": [], "small": []}
        for _ in range(RUNS):
            for name, env in envs.items():
                prompts[name].append(first_prompt(env))
        large, small = median(prompts["large"]), median(prompts["small"])
        print(
            f"{'REPL first prompt':<32} {1000 * large:7.0f} ms {1000 * small:7.0f} ms"
            f" {large / small:6.2f}x  no slower"
        )


if __name__ == "__main__":
    main()
