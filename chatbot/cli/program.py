"""The program's name and the commands beside chatting: imported by the console script before
anything else, so it imports nothing."""

PROG = "writer-chat"
SUBCOMMANDS = (
    "history",
    "config",
    "models",
    "key",
    "graphs",
    "templates",
    "mcp",
)  # chatbot.cli.parser._sub_command
OFFLINE_SUBCOMMANDS = (
    "history",
    "config",
    "key",
    "templates",
    "mcp",
)  # they never touch the network
