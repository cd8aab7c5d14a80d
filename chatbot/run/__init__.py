"""Building and running a chat: the mode chosen (REPL, one-shot, shell assistant), wired."""
