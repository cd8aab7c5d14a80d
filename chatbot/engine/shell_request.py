"""The shell assistant's side of the exchange: what it asks the model for (exactly one command
for the user's shell and system, as structured output) and what it takes back from it.

Pure: the terminal part (showing the command, the e/d/r/c/a choice, running it) is
chatbot.terminal.shell_screen; the command line part is ``--shell`` in chatbot.run.modes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from chatbot.errors import StreamError

COMMAND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"command": {"type": "string", "description": "One shell command line."}},
    "required": ["command"],
    "additionalProperties": False,
}
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "shell_command", "schema": COMMAND_SCHEMA},
}
COMMAND_LIMIT = 2_000  # characters: a command line, not a script
FIX_ROUNDS = 3  # times a failed command is sent back for a fix, at most


def system_prompt(shell: str, system: str, folder: str) -> str:
    """What the model is told: the user's shell, system and working directory's name only."""
    return (
        f"You turn a request into exactly one command line for {shell} on {system}, run in a"
        f' directory named {folder!r}. Answer with JSON {{"command": "..."}} holding that one'
        " line: no prose, no Markdown, no explanation, no several alternatives. Chain steps"
        " with && or pipes when a request needs several."
    )


def command_of(reply: str) -> str:
    """The one command a reply holds; StreamError (one line) when it is not exactly that."""
    try:
        value = json.loads(reply)
    except (ValueError, RecursionError):
        raise StreamError("the reply is not one command (not the JSON asked for)") from None
    command = value.get("command") if isinstance(value, dict) else None
    if not isinstance(command, str) or not command.strip():
        raise StreamError("the reply holds no command")
    command = command.strip()
    if "\n" in command:
        raise StreamError("the reply is several lines, not one command")
    if len(command) > COMMAND_LIMIT:
        raise StreamError(f"the reply is longer than {COMMAND_LIMIT:,} characters: not a command")
    return command


def fix_request(command: str, status: int, output_tail: str) -> str:
    """The message that sends a failed command back for a fixed one."""
    tail = output_tail.strip() or "(no error output)"
    return (
        f"This command failed with exit status {status}:\n{command}\n\nIts last error output:\n"
        f"{tail}\n\nGive one fixed command for the same request."
    )


def describe_request(command: str) -> str:
    return (
        f"In two or three short sentences of plain text (not JSON), say what this command does"
        f" and what it changes:\n{command}"
    )


_DESTRUCTIVE = [
    (
        r"\brm\s+(-\w*[rR]\w*\s+-?\w*[fF]|-\w*[fF]\w*\s+-?\w*[rR]|-\w*(rf|fr)\w*|--recursive)",
        "rm -r",
    ),
    (r"\bmkfs(\.\w+)?\b", "mkfs"),
    (r"\bdd\b[^|;&]*\bof=", "dd of="),
    (r">\s*/dev/(sd|nvme|hd|vd|xvd|mmcblk|disk)\w*", "a write to a block device"),
    (r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b", "a download piped to a shell"),
    (r"\bchmod\s+(-\w+\s+)*-?R\w*\s+0?777\s+/(\s|$)", "chmod -R 777 /"),
    (r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:", "a fork bomb"),
    (r"\b(shutdown|reboot|halt|poweroff)\b", "a shutdown"),
    (
        r"\bgit\s+(push\s+.*--force|reset\s+--hard|clean\s+-\w*f)",
        "a git command that discards work",
    ),
]


def destructive(command: str) -> str | None:
    """What makes ``command`` dangerous to run unread (a guard, not a sandbox), or None."""
    for pattern, said in _DESTRUCTIVE:
        if re.search(pattern, command):
            return said
    return None
