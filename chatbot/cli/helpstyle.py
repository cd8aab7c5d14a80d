"""One look for every help screen: rich panels where the terminal is wide enough for option
names to stay whole, click's plain layout where it is not (rich would cut them short)."""

from __future__ import annotations

from typing import Literal

from chatbot.env import current

PANEL_WIDTH = 82  # the panels' layout needs this many columns to keep every option name whole


def markup_mode() -> Literal["rich"] | None:
    return "rich" if current().terminal_columns() >= PANEL_WIDTH else None
