"""The test suite. Imported before any test module or the conftest.

The suite starts writer-chat, MCP servers and four test workers hundreds of times: on a machine
told to write no bytecode (PYTHONDONTWRITEBYTECODE), each of them compiled every module of the
package anew. Here, and in what the suite starts, compiled modules are kept (in the checkout's
__pycache__ folders, which git ignores).
"""

import os
import sys

sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
