"""Minimal streaming clients that benchmarks compare writer-chat against.

python benchmarks/clients.py bare "prompt"   # httpx + json, nothing else
python benchmarks/clients.py sdk "prompt"    # Writer's SDK, the loop from its docs
"""

from __future__ import annotations

import json
import os
import sys


def bare(prompt: str) -> None:
    # httpx as it loads where click is not installed (the dev environment has click, from the
    # MCP SDK; writer-chat keeps httpx's command-line module out the same way)
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    import httpx

    body = {
        "model": "palmyra-x5",
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = {"Authorization": f"Bearer {os.environ['WRITER_API_KEY']}"}
    url = os.environ["WRITER_BASE_URL"] + "/v1/chat"
    with httpx.stream("POST", url, json=body, headers=headers, timeout=60) as response:
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[6:])["choices"]:
                piece = choice["delta"].get("content")
                if piece:
                    sys.stdout.write(piece)
                    sys.stdout.flush()


def sdk(prompt: str) -> None:
    from writerai import Writer

    client = Writer()
    with client.chat.stream(
        model="palmyra-x5", messages=[{"role": "user", "content": prompt}]
    ) as stream:
        for event in stream:
            if event.type == "content.delta":
                print(event.delta, end="", flush=True)


if __name__ == "__main__":
    {"bare": bare, "sdk": sdk}[sys.argv[1]](sys.argv[2])
