"""The one redactor: every secret this run knows, cut out of whatever leaves writer-chat.

A secret (the API key) is found as a whole token even when invisible characters were slipped
inside it (a zero-width space, a soft hyphen, a bidi mark, a line break): those are the
characters a terminal or a file drops or hides, so a key split by them would read whole. It is
cut before any of them are removed, wherever the text goes next.

Streamed text (a reply arrives in pieces) goes through a :class:`StreamCut`, which holds back
the end of a piece that could be the start of a secret until the next piece says.

``trace()`` is for diagnostics (the ``--debug`` trace, error lines): besides the secrets, what is
shaped like one (a bearer token, ``NAME_KEY=value``) and a URL's password and query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# What may hide inside a secret: controls (line breaks included), bidi marks, zero-width and
# other invisible format characters, variation selectors and Unicode tags.
_HIDDEN_CODES = [
    *range(0x00, 0x20),
    0x7F,
    *range(0x80, 0xA0),
    0xAD,  # soft hyphen
    0x034F,  # combining grapheme joiner
    0x061C,
    0x115F,
    0x1160,
    0x180E,
    *range(0x200B, 0x2010),
    *range(0x2028, 0x202F),
    *range(0x2060, 0x2070),
    0x3164,
    *range(0xFE00, 0xFE10),
    0xFEFF,
    0xFFA0,
    *range(0xE0000, 0xE0080),
]
HIDDEN = "[" + "".join(f"\\U{code:08x}" for code in _HIDDEN_CODES) + "]"
MASK = "****"
_EDGE_BEFORE = r"(?<![\w-])"  # a short key ("k", "test") is cut only where it stands alone
_EDGE_AFTER = r"(?![\w-])"

_BEARER = re.compile(r"""(Bearer\s+)[^\s'",;]+""", re.IGNORECASE)
_KEY_ASSIGNMENT = re.compile(r"(\w*_KEY\s*=\s*)\S+")
_URL = re.compile(
    r"""\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^\s/'"<>]*@)?([^\s?#'"<>]*)(\?[^\s#'"<>]*)?"""
)


def _whole(secret: str) -> re.Pattern[str]:
    body = f"{HIDDEN}*".join(re.escape(char) for char in secret)
    return re.compile(_EDGE_BEFORE + body + _EDGE_AFTER)


def _start(secret: str) -> re.Pattern[str]:
    """A match of any beginning of ``secret`` (hidden characters allowed) that runs to the
    end of the text: what a stream must hold back."""
    body = ""
    for char in reversed(secret[1:]):
        body = f"(?:{HIDDEN}*{re.escape(char)}{body})?"
    return re.compile(_EDGE_BEFORE + re.escape(secret[0]) + body + f"{HIDDEN}*\\Z")


class Redactor:
    """The secrets of a run, and how they are cut out of text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._whole: dict[str, re.Pattern[str]] = {}
        self._start: dict[str, re.Pattern[str]] = {}
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Remember a value that must never leave (an empty one is ignored)."""
        secret = secret.strip()
        if secret and secret not in self._whole:
            self._whole[secret] = _whole(secret)
            self._start[secret] = _start(secret)

    def clear(self) -> None:
        self._whole.clear()
        self._start.clear()

    def __bool__(self) -> bool:
        return bool(self._whole)

    def longest(self) -> int:
        return max(map(len, self._whole), default=0)

    def text(self, text: str, *, more_to_come: bool = False) -> str:
        """``text`` with every secret cut out (and nothing else: it may be the user's own).
        ``more_to_come``: a secret at the very end is left, as the next character may make it
        part of a longer word (a stream holds it back until then)."""
        end = len(text)

        def masked(found: re.Match[str]) -> str:
            return found.group() if more_to_come and found.end() == end else MASK

        for pattern in self._whole.values():
            text = pattern.sub(masked, text)
            end = len(text)
        return text

    def trace(self, text: str, *, addresses: bool = True) -> str:
        """For diagnostics: the secrets and anything shaped like one cut out, and (unless
        ``addresses`` is False: our own error lines show addresses masked already) a URL's
        password and query."""
        text = self.text(text)
        text = _BEARER.sub(rf"\1{MASK}", text)
        text = _KEY_ASSIGNMENT.sub(rf"\1{MASK}", text)
        return _URL.sub(_url_without_secrets, text) if addresses else text

    def held_from(self, text: str) -> int:
        """Where in ``text`` a possible beginning of a secret starts (len(text): none)."""
        window = max(0, len(text) - 8 * self.longest() - 64)  # hidden characters stretch it
        held = len(text)
        for pattern in self._start.values():
            found = pattern.search(text, window)
            if found is not None:
                held = min(held, found.start())
        return held

    def stream(self) -> StreamCut:
        return StreamCut(self)


def _url_without_secrets(found: re.Match[str]) -> str:
    scheme, credentials, rest, query = found.groups()
    if not credentials and not query:
        return found.group()
    user = credentials.split(":", 1)[0] + ":" if credentials and ":" in credentials else ""
    return scheme + (f"{user}{MASK}@" if credentials else "") + rest + ("?…" if query else "")


def url_shown(url: str) -> str:
    """An address as it may be shown: no password, no query (either may hold a token)."""
    return _URL.sub(_url_without_secrets, url)


class StreamCut:
    """Cuts secrets out of text that arrives in pieces, a secret split across them included.

    ``feed`` returns what may be shown now; the end of a piece that could begin a secret is
    held until the next piece (or ``flush``) decides."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._held = ""
        self._before = ""  # the last character let out: a secret must not follow a word

    def feed(self, piece: str) -> str:
        if not self._redactor:
            return piece
        text = self._before + self._held + piece
        text = self._redactor.text(text, more_to_come=True)
        cut = max(self._redactor.held_from(text), len(self._before))
        out, self._held = text[len(self._before) : cut], text[cut:]
        if out:
            self._before = out[-1]
        return out

    def flush(self) -> str:
        held, self._held = self._held, ""
        if not held:
            return ""
        return self._redactor.text(self._before + held)[len(self._before) :]
