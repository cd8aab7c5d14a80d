"""Settings: the option table, the config file, every setting resolved once."""
