"""The tools a model may call: MCP servers (the hub), web search, a --functions file."""
