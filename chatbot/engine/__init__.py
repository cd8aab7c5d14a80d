"""The chat engine: a conversation and one exchange with the model, as events. Pure: no
terminal, no database, no HTTP, no threads."""
