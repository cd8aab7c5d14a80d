"""One exchange: send the conversation, stream the reply through a renderer, record it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatbot import conversation as conv
from chatbot.context import ContextBudget
from chatbot.conversation import Conversation, Message
from chatbot.errors import ApiError
from chatbot.journal import Journal, ReplyWriter
from chatbot.output import Renderer
from chatbot.request import ChatParams, build_chat_body
from chatbot.stream import Reply, ReplyAccumulator

if TYPE_CHECKING:
    from chatbot.api import WriterClient

_FINISH_STATUS = {"length": conv.LENGTH, "content_filter": conv.CONTENT_FILTER}


class TurnInterrupted(Exception):
    """Ctrl-C stopped the reply; ``reply`` holds what had arrived (already recorded)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("interrupted")
        self.reply = reply


class TurnFailed(Exception):
    """The request failed; ``error`` says why, ``reply`` holds any partial text (recorded)."""

    def __init__(self, error: ApiError, reply: Reply) -> None:
        super().__init__(str(error))
        self.error = error
        self.reply = reply


def run_turn(
    client: WriterClient,
    params: ChatParams,
    conversation: Conversation,
    user_text: str | None,
    renderer: Renderer,
    *,
    journal: Journal | None = None,
    budget: ContextBudget | None = None,
    parts: list[dict[str, Any]] | None = None,
) -> Reply:
    """Send ``user_text`` (None: continue after tool results) and stream the answer; the
    conversation is updated either way.

    A turn that fails before any reply text arrived leaves the conversation exactly as it was;
    one that breaks later keeps the partial reply, marked as failed or interrupted, so the
    history never holds a cut reply that looks complete or two user messages in a row.
    """
    journal = journal or Journal(None)
    budget = budget or ContextBudget()
    user = None
    if user_text is not None:
        user = conversation.add_user(user_text, parts)
        journal.user_sent(conversation, user, params.model)
    messages, left_out = budget.fit(conversation.api_messages(), params.model, params.max_tokens)
    body = build_chat_body(params, messages)
    writer = journal.reply(params.model)
    accumulator = ReplyAccumulator()
    reply = accumulator.reply
    status = conv.FAILED
    try:
        renderer.start()
        if left_out and not budget.told_about_trimming:
            budget.told_about_trimming = True  # once a session: it stays true from here on
            renderer.notice(
                f"context full: leaving out the oldest messages ({left_out} now) to fit"
                f" {params.model}'s window"
            )
        with client.stream_chat(body, on_retry=renderer.notice) as chunks:
            for chunk in chunks:
                for delta in accumulator.feed(chunk):
                    renderer.feed(delta.kind, delta.text)
                    writer.progress(lambda: reply.content or reply.refusal)
        if reply.finish_reason is None:
            raise ApiError("the reply stream ended before the reply was finished")
        status = _FINISH_STATUS.get(reply.finish_reason, conv.COMPLETE)
    except KeyboardInterrupt:
        status = conv.INTERRUPTED
        _record(conversation, user, reply, status, journal, writer)
        raise TurnInterrupted(reply) from None
    except ApiError as error:
        _record(conversation, user, reply, status, journal, writer)
        raise TurnFailed(error, reply) from None
    finally:
        renderer.finish(status)
    _record(conversation, user, reply, status, journal, writer)
    budget.record(messages, reply.usage)
    return reply


def _record(
    conversation: Conversation,
    user: Message | None,
    reply: Reply,
    status: str,
    journal: Journal,
    writer: ReplyWriter,
) -> None:
    text = reply.content or reply.refusal
    calls = [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in reply.calls()
    ]
    if text or calls:
        message = conversation.add_assistant(text, status, tool_calls=calls or None)
        writer.finish(message, reply.usage)
    elif user is not None:
        conversation.drop_last_user()
        journal.forget([user])
