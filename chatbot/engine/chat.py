"""The chat engine: a conversation, and one exchange with the model at a time.

``Chat.send(text)`` yields the exchange as events (chatbot.engine.events): the user's message,
each request and the pieces of its reply, tool calls and their answers, and a closing
``Finished``. It knows no terminal, no database, no HTTP and no threads: the network is a
Transport, consent to run a function is a callback, and the edges observe the events.
What changes the conversation between exchanges (the system prompt, the model, /undo, /retry,
/new, /load, /fork) is a method here too, and each tells the chat's watchers (the history
journal) what it changed: nothing else writes the journal's state.

A request that fails before any reply arrived leaves the conversation as it was; one that
breaks later keeps the partial reply, marked failed or interrupted, so the history never holds
a cut reply that looks complete, nor two user messages in a row.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from chatbot.engine import conversation as conv
from chatbot.engine.context import CHARS_PER_TOKEN, ContextBudget, rough_tokens, rough_tool_tokens
from chatbot.engine.conversation import Conversation, Message
from chatbot.engine.costs import Estimate, OverCost, check_cap, estimate
from chatbot.engine.events import (
    Annotated,
    Change,
    Event,
    Finished,
    Forked,
    Notice,
    ParamsChanged,
    ReplyEnded,
    RequestSent,
    Switched,
    SystemChanged,
    TakenBack,
    Titled,
    ToolAnswered,
    ToolAsked,
    UserSent,
    UserWithdrawn,
)
from chatbot.engine.graph_names import Citations, cites_inline
from chatbot.engine.params import PARAM, TOOL_ROUNDS, check_param
from chatbot.engine.prices import Spend, estimated_usage
from chatbot.engine.reply import Reply, ReplyAccumulator, ToolCall
from chatbot.engine.request import ChatParams, build_chat_body
from chatbot.engine.transport import Transport
from chatbot.errors import ApiError, StreamError
from chatbot.words import counted

if TYPE_CHECKING:
    from chatbot.redaction import Redactor

DECLINED = "Not run: the user did not allow this call."
STOPPED = "Not finished: the user stopped this call (Ctrl-C)."
NOT_RUN_ROUNDS = "Not run: this turn reached its limit of rounds of tool calls."
_FINISH_STATUS = {"length": conv.LENGTH, "content_filter": conv.CONTENT_FILTER}

Consent = Callable[[ToolCall], bool]
Watcher = Callable[[Event], None]
Exchange = Generator[Event, None, None]


class Functions(Protocol):
    """The functions the model may call (chatbot.engine.tools.ToolSet): asked for their
    schemas before each request, since MCP servers start, stop and fail between them."""

    def schemas(self) -> list[dict[str, Any]]: ...

    def run(self, name: str, arguments: str) -> str: ...

    def take_web_data(self) -> dict[str, Any] | None: ...


def _never(call: ToolCall) -> bool:
    return False


class Chat:
    """One conversation with the model: what is sent, what came back, what to retry."""

    def __init__(
        self,
        transport: Transport,
        params: ChatParams,
        conversation: Conversation | None = None,
        *,
        budget: ContextBudget | None = None,
        functions: Functions | None = None,
        consent: Consent = _never,
        tool_rounds: int = TOOL_ROUNDS,
        spend: Spend | None = None,
        watchers: Iterable[Watcher] = (),
        max_cost: float | None = None,
        confirm_cost: float | None = None,
        ask_cost: Callable[[Estimate], bool] | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.transport = transport
        self.redactor = redactor  # the key, cut out of what is sent and what comes back
        self.watchers = list(watchers)  # told each change made between exchanges
        self.spend = spend or Spend()  # tokens and dollars of the session and its last reply
        self.conversation = conversation or Conversation()
        self.budget = budget or ContextBudget()
        self.functions = functions
        self.consent = consent
        self.tool_rounds = tool_rounds
        self.params = params  # the built-in tools are here; the functions join each request
        self.failed_input: str | None = None  # sent, failed before any reply: /retry sends it
        self.max_cost = max_cost  # dollars an exchange may cost at most (--max-cost)
        self.confirm_cost = confirm_cost  # over this, ``ask_cost`` is asked first (the REPL)
        self.ask_cost = ask_cost
        self._spent = 0.0  # dollars this exchange's requests have cost so far (tool rounds)
        self._functions_offered: tuple[dict[str, Any], ...] = ()  # by the last request

    # the exchange

    def send(self, text: str, parts: list[dict[str, Any]] | None = None) -> Exchange:
        """Send ``text`` and answer the model's function calls until it replies."""
        self._spent = 0.0
        if self.redactor is not None:  # the key pasted into a message does not leave either
            text = self.redactor.text(text)
        reply, status, error = yield from self._request(text, parts)
        rounds = 0
        while error is None and status == conv.COMPLETE and self.functions and reply.calls():
            if rounds == self.tool_rounds:
                yield Notice(
                    f"stopped after {counted(rounds, 'round')} of tool calls (see --tool-rounds)"
                )
                yield from self._answer_all(reply.calls(), NOT_RUN_ROUNDS)
                break
            rounds += 1
            try:
                yield from self._answer_calls(reply.calls())
            except KeyboardInterrupt:
                status = conv.INTERRUPTED
                break
            try:
                reply, status, error = yield from self._request(None, None)
            except OverCost as over:  # the cap holds for the tool rounds too: stop here
                yield Notice(f"stopped before the next round of tool calls: {over}")
                break
        if error is None and status != conv.INTERRUPTED:
            self.failed_input = None
        found = self.functions.take_web_data() if self.functions else None
        if found and not reply.web_search_data:  # pages a web_search function call found
            reply.web_search_data = found
        yield Finished(reply, status, error)

    def _answer_calls(self, calls: list[ToolCall]) -> Generator[Event, None, None]:
        """Ask about each call, run it, answer it. Ctrl-C answers the call it stopped and the
        ones after it as stopped, so every call keeps its answer (an API refuses a conversation
        with a call left unanswered), then goes on up as KeyboardInterrupt."""
        assert self.functions is not None
        for index, call in enumerate(calls):
            yield ToolAsked(call)
            try:
                allowed = self.consent(call)
                result = self.functions.run(call.name, call.arguments) if allowed else DECLINED
            except KeyboardInterrupt:
                yield from self._answer_all(calls[index:], STOPPED)
                raise
            message = self.conversation.add_tool_result(call.id, call.name, result)
            yield ToolAnswered(call, result, message)

    def _answer_all(self, calls: list[ToolCall], why: str) -> Generator[Event, None, None]:
        """Answer calls that will not run, so none is left without an answer."""
        for call in calls:
            message = self.conversation.add_tool_result(call.id, call.name, why)
            yield ToolAnswered(call, why, message)

    def _request(
        self, text: str | None, parts: list[dict[str, Any]] | None
    ) -> Generator[Event, None, tuple[Reply, str, ApiError | None]]:
        """One request and its streamed reply (``text`` None: continue after tool answers)."""
        params = self._offered()
        new = None if text is None else {"role": "user", "content": parts or text}
        self._check_cost(new, params.tools)
        user = None if text is None else self.conversation.add_user(text, parts)
        accumulator = ReplyAccumulator(
            Citations() if cites_inline(params.tools) else None, self.redactor
        )
        reply = accumulator.reply
        status, error = conv.FAILED, None
        messages: list[dict[str, Any]] = []
        try:
            if user is not None:
                yield UserSent(user, params.model, self.conversation)
            messages, left_out = self.budget.fit(
                self.conversation.api_messages(), params.model, params.max_tokens, params.tools
            )
            yield RequestSent(params.model)
            if left_out and not self.budget.told_about_trimming:
                self.budget.told_about_trimming = True  # once a conversation
                yield Notice(
                    f"context full: leaving out the oldest messages ({left_out} now) to fit"
                    f" {params.model}'s window"
                )
            with contextlib.closing(
                self.transport.stream(build_chat_body(params, messages))
            ) as items:
                yield from _merged(items, accumulator)
            yield from accumulator.flush()
            if reply.finish_reason is None:
                raise StreamError("the reply stream ended before the reply was finished")
            status = _FINISH_STATUS.get(reply.finish_reason, conv.COMPLETE)
            if reply.calls() and self.functions is None:  # nothing was offered to call
                names = ", ".join(sorted({call.name for call in reply.calls()}))
                raise StreamError(
                    f"the reply asked to run {names}, but no functions were offered: the server"
                    " answered something else than what was asked"
                )
        except KeyboardInterrupt:  # Ctrl-C while waiting, streaming, or in an observer
            status = conv.INTERRUPTED
        except ApiError as failure:
            error = failure
        accumulator.flush()  # a held-back piece of an interrupted reply is kept, not shown
        message = self._record(reply, status)
        if message is None and user is not None:
            self.conversation.drop_last_user()
            self.failed_input = text  # nothing arrived (an error, Ctrl-C): /retry sends it
            yield UserWithdrawn(user)
        if status == conv.COMPLETE:
            self.budget.record(messages, reply.usage, params.tools)
        if not reply.usage and status in conv.CUT_SHORT and (reply.content or reply.calls()):
            # cut short after the server began to answer, before it counted: billed all the same
            sent = rough_tokens(messages) + rough_tool_tokens(params.tools)
            reply.usage = estimated_usage(sent, len(reply.content) // CHARS_PER_TOKEN)
        if reply.usage:
            self.spend.record(params.model, reply.usage)
            if self.spend.last is not None and self.spend.last[2] is not None:
                self._spent += self.spend.last[2]
        yield ReplyEnded(reply, status, message, error)
        return reply, status, error

    def _offered(self) -> ChatParams:
        """This request's parameters: the built-in tools, and the functions on offer now."""
        if self.functions is None:
            return self.params
        self._functions_offered = tuple(self.functions.schemas())
        return dataclasses.replace(
            self.params, tools=(*self.params.tools, *self._functions_offered)
        )

    def estimate(
        self,
        extra_text: str = "",
        new: dict[str, Any] | None = None,
        tools: tuple[dict[str, Any], ...] | None = None,
    ) -> Estimate:
        """What the next request will cost, with ``extra_text`` (or the API message ``new``)
        as its new message, and ``tools`` offered (by default, those the last request offered:
        asking the functions anew could wait for an MCP server to start)."""
        messages = self.conversation.api_messages()
        if extra_text:
            new = {"role": "user", "content": extra_text}
        if new is not None:
            messages.append(new)
        if tools is None:
            tools = (*self.params.tools, *self._functions_offered)
        params = self.params
        return estimate(
            messages, params.model, params.max_tokens, self.budget, self.spend.prices, tools
        )

    def _check_cost(self, new: dict[str, Any] | None, tools: tuple[dict[str, Any], ...]) -> None:
        """Before anything is sent or added: refuse a request over the cap (OverCost); ask
        about one over ``confirm_cost``, for the user's ``new`` message only (a tool round was
        agreed to with the message that started it)."""
        if self.max_cost is None and (self.confirm_cost is None or self.ask_cost is None):
            return
        asking = new is not None
        found = self.estimate(new=new, tools=tools)
        check_cap(found, self.max_cost, self._spent)
        ask = self.ask_cost
        limit = self.confirm_cost
        over = found.dollars is not None and limit is not None and found.dollars > limit
        if asking and over and ask is not None and not ask(found):
            raise OverCost("not sent: the message is back in the prompt to change or send")

    def _record(self, reply: Reply, status: str) -> Message | None:
        text = reply.content or reply.refusal
        calls = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in (reply.calls() if self.functions is not None else [])
        ]  # a call of a function never offered is not kept: nothing would answer it
        if not (text or calls):
            return None
        return self.conversation.add_assistant(text, status, tool_calls=calls or None)

    # steering between exchanges (the REPL's slash commands): each change is told to watchers

    def _tell(self, change: Change) -> None:
        for watch in self.watchers:
            watch(change)

    def retry(self) -> tuple[str, list[Message]] | None:
        """What ``/retry`` sends again, and the messages it takes out of the conversation."""
        if self.failed_input is not None:
            text, self.failed_input = self.failed_input, None
            return text, []
        removed = self.undo(why=conv.REPLACED)
        return (removed[0].content, removed) if removed else None

    def undo(self, exchanges: int = 1, *, why: str = conv.UNDONE) -> list[Message]:
        """Take the last ``exchanges`` out of the conversation (the history keeps them, set
        aside, marked ``why``); return what was removed (the earliest message first)."""
        self.failed_input = None
        removed: list[Message] = []
        for _ in range(exchanges):
            removed = self.conversation.pop_exchange() + removed
        if removed:
            self._tell(TakenBack(tuple(removed), why))
        return removed

    def record_run(self, command: str, status: int) -> None:
        """The last reply's command ran (the shell assistant): kept with it, and saved."""
        replies = [turn for turn in self.conversation.turns if turn.role == "assistant"]
        if replies:
            replies[-1].ran = {"command": command, "status": status}
            self._tell(Annotated(replies[-1]))

    def set_system(self, system: str | None) -> None:
        """Replace the system prompt (None removes it) for the next requests."""
        self.conversation.system = system
        self._tell(SystemChanged(self.conversation, system))

    def set_title(self, title: str) -> None:
        """Give the conversation a title (one line; the history keeps it, now or once the
        conversation is first saved)."""
        title = " ".join(title.split())
        if not title:
            raise ValueError("a title needs some text")
        self.conversation.title = title
        self._tell(Titled(self.conversation, title))

    def set_params(self, **changes: Any) -> None:
        """Change what the next requests are sent with. A sampling parameter is checked
        against its row (OutOfLimits says why; nothing changes); None puts it back to the
        server's default."""
        for name, value in changes.items():
            if name in PARAM and (value is not None or name == "model"):
                changes[name] = check_param(name, value)
        self.params = dataclasses.replace(self.params, **changes)
        self._tell(ParamsChanged(changes))

    def switch_to(self, conversation: Conversation) -> None:
        """Continue ``conversation`` from here on; the context count starts over with it."""
        self._go_on_in(conversation)
        self._tell(Switched(conversation))

    def fork(self, after: int | None = None) -> Conversation:
        """Go on in a copy of the conversation up to the end of exchange ``after`` (all: None),
        a branch; the original stays as it is."""
        source, copy = self.conversation, self.conversation.branch(after)
        self._go_on_in(copy)
        self._tell(Forked(source, copy, after))
        return copy

    def _go_on_in(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.failed_input = None
        self.budget = ContextBudget(window_override=self.budget.window_override)


def _merged(items: Iterable[Any], accumulator: ReplyAccumulator) -> Generator[Event, None, None]:
    for item in items:
        if isinstance(item, Notice):
            yield item
        else:
            yield from accumulator.feed(item)


def deliver(exchange: Exchange, observers: Iterable[Callable[[Event], None]]) -> Finished:
    """Give each event of ``exchange`` to every observer, in order; return how it finished.

    A Ctrl-C that lands in an observer (while it draws) is handed to the engine, which ends the
    reply as interrupted just as if it had landed while waiting for the network. An observer
    that fails (a terminal gone away) ends the reply the same way and sees no more events; the
    others see every event to the end (the journal saves the partial reply), and the failure
    is raised after that.
    """
    observers = list(observers)
    pending: KeyboardInterrupt | None = None
    failure: Exception | None = None
    while True:
        try:
            event = exchange.throw(pending) if pending else next(exchange)
        except StopIteration:
            raise AssertionError("an exchange always ends with Finished") from None
        pending = None
        for observe in list(observers):
            try:
                observe(event)
            except KeyboardInterrupt as interrupt:
                pending = interrupt
            except Exception as problem:
                observers.remove(observe)  # it is broken: it sees no more events
                if failure is None:
                    failure, pending = problem, KeyboardInterrupt()
        if isinstance(event, Finished):
            exchange.close()
            if failure is not None:
                raise failure
            return event
