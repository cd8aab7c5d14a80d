"""One exchange: send the conversation, stream the reply through a renderer, record it."""

from __future__ import annotations

from chatbot import conversation as conv
from chatbot.api import ChatParams, WriterClient, build_chat_body
from chatbot.conversation import Conversation
from chatbot.errors import ApiError
from chatbot.output import Renderer
from chatbot.stream import Reply, ReplyAccumulator

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
    user_text: str,
    renderer: Renderer,
) -> Reply:
    """Send ``user_text`` and stream the answer; the conversation is updated either way.

    A turn that fails before any reply text arrived leaves the conversation exactly as it was;
    one that breaks later keeps the partial reply, marked as failed or interrupted, so the
    history never holds a cut reply that looks complete or two user messages in a row.
    """
    conversation.add_user(user_text)
    body = build_chat_body(params, conversation.api_messages())
    accumulator = ReplyAccumulator()
    reply = accumulator.reply
    status = conv.FAILED
    try:
        renderer.start()
        with client.stream_chat(body, on_retry=renderer.notice) as chunks:
            for chunk in chunks:
                for delta in accumulator.feed(chunk):
                    renderer.feed(delta.kind, delta.text)
        if reply.finish_reason is None:
            raise ApiError("the reply stream ended before the reply was finished")
        status = _FINISH_STATUS.get(reply.finish_reason, conv.COMPLETE)
    except KeyboardInterrupt:
        status = conv.INTERRUPTED
        _record(conversation, reply, status)
        raise TurnInterrupted(reply) from None
    except ApiError as error:
        _record(conversation, reply, status)
        raise TurnFailed(error, reply) from None
    finally:
        renderer.finish(status)
    _record(conversation, reply, status)
    return reply


def _record(conversation: Conversation, reply: Reply, status: str) -> None:
    text = reply.content or reply.refusal
    if text:
        conversation.add_assistant(text, status)
    else:
        conversation.drop_last_user()
