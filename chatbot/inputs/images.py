"""``--image``: a local file becomes a ``data:`` URL content part; a URL is passed as is."""

from __future__ import annotations

import base64
import mimetypes
from typing import Any

from chatbot.env import Env
from chatbot.errors import UsageError

MAX_IMAGE_BYTES = 20 * 1024 * 1024


def image_part(source: str, env: Env, asked_by: str = "--image") -> dict[str, Any]:
    """The content part of an image (a path is the Env's); ``asked_by`` (--image, /image)
    names it in an error."""
    if source.startswith(("https://", "http://", "data:")):
        return {"type": "image_url", "image_url": {"url": source}}
    path = env.path(source)
    kind, _ = mimetypes.guess_type(path.name)
    if kind is None or not kind.startswith("image/"):
        raise UsageError(f"{asked_by} {source}: not an image file (png, jpeg, gif, webp)")
    from chatbot.capped import read_file

    data = read_file(path, cap=MAX_IMAGE_BYTES, what=f"{asked_by} {source}")
    encoded = base64.b64encode(data).decode()
    return {"type": "image_url", "image_url": {"url": f"data:{kind};base64,{encoded}"}}
