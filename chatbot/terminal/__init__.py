"""The screen: the REPL, slash commands, live Markdown and plain renderers."""
