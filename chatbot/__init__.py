"""writer-chat: a terminal chatbot for the Writer chat completion API."""

__version__ = "0.1.0"
