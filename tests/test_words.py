"""Counts are said as a person says them."""

from chatbot.words import counted


def test_one_is_singular_and_the_rest_plural():
    assert counted(1, "exchange") == "1 exchange"
    assert counted(0, "token") == "0 tokens"
    assert counted(240_000, "token") == "240,000 tokens"
    assert counted(2, "copy", "copies") == "2 copies"
