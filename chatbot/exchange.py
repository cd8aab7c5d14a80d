"""One exchange as the user sees it: a turn, then, while the model calls the user's functions,
run them (with consent) and send the results back, until the model answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatbot.commands import Session
from chatbot.output import Renderer
from chatbot.sanitize import one_line
from chatbot.stream import Reply, ToolCall
from chatbot.tools import FunctionBox
from chatbot.tty import keys_not_echoed
from chatbot.turn import run_turn

if TYPE_CHECKING:
    from chatbot.api import WriterClient

Confirm = Callable[[ToolCall], bool]
DECLINED = "Not run: the user did not allow this call."


@dataclass
class Toolset:
    box: FunctionBox
    confirm: Confirm
    max_rounds: int


def run_exchange(
    client: WriterClient,
    session: Session,
    text: str,
    new_renderer: Callable[[], Renderer],
    say: Callable[[str], None],
    *,
    toolset: Toolset | None = None,
    parts: list[dict[str, Any]] | None = None,
) -> Reply:
    """Send ``text``; answer tool calls until the model replies (TurnFailed/Interrupted pass)."""
    reply = _turn(client, session, text, new_renderer(), parts)
    rounds = 0
    while toolset is not None and reply.calls():
        if rounds == toolset.max_rounds:
            say(f"stopped after {rounds} rounds of tool calls (see --tool-rounds)")
            break
        rounds += 1
        for call in reply.calls():
            say(f"tool call: {call.name}({one_line(call.arguments, 200)})")
            result = (
                toolset.box.run(call.name, call.arguments) if toolset.confirm(call) else DECLINED
            )
            say(f"tool result: {one_line(result, 120)}")
            message = session.conversation.add_tool_result(call.id, call.name, result)
            session.journal.tool_result(message)
        reply = _turn(client, session, None, new_renderer(), None)
    return reply


def _turn(
    client: WriterClient,
    session: Session,
    text: str | None,
    renderer: Renderer,
    parts: list[dict[str, Any]] | None,
) -> Reply:
    with keys_not_echoed():
        return run_turn(
            client,
            session.params,
            session.conversation,
            text,
            renderer,
            journal=session.journal,
            budget=session.budget,
            parts=parts,
        )
