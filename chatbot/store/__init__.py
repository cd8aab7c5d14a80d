"""Saved conversations: the SQLite database, and the journal that observes each exchange."""
