"""One look for every help screen: rich panels where the terminal is wide enough for option
names to stay whole, click's plain layout where it is not (rich would cut them short)."""

from __future__ import annotations

from typing import Literal

from chatbot.env import Env

PANEL_WIDTH = 82  # the panels' layout needs this many columns to keep every option name whole


def markup_mode(env: Env) -> Literal["rich"] | None:
    return "rich" if env.terminal_columns() >= PANEL_WIDTH else None
