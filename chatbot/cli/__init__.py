"""The command line: one option table, settings resolved once, the mode chosen, exit codes."""
