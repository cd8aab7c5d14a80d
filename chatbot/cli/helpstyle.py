"""One look for every help screen: rich panels where the terminal is wide enough for option
names to stay whole, click's plain layout where it is not (rich would cut them short)."""

from __future__ import annotations

import shutil
from typing import Literal

PANEL_WIDTH = 82  # the panels' layout needs this many columns to keep every option name whole


def markup_mode() -> Literal["rich"] | None:
    return "rich" if shutil.get_terminal_size().columns >= PANEL_WIDTH else None
