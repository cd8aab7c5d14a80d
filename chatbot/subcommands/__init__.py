"""The commands beside chatting (history, config, models, key, templates, graphs, mcp)."""
