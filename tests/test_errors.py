"""Every failure is one line on stderr with the right exit code, never a traceback."""

from __future__ import annotations

import socket

import pytest

from tests.fake_server import Script


def assert_one_line(result, code: int, *fragments: str) -> None:
    assert result.code == code, (result.code, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_missing_key_says_how_to_set_it(run_cli, fake):
    # keyring reads the process's environment: a machine without a keychain, as its own process
    no_keychain = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = run_cli("hi", WRITER_API_KEY=None, process=True, **no_keychain)
    assert_one_line(result, 2)
    assert result.stderr == (  # whole: the key redactor once ate a "WRITER_API_KEY=..." hint
        "writer-chat: error: no API key: set WRITER_API_KEY in the environment or in a .env"
        " file here (see .env.example), or have api_key_command in the config print it (no"
        " system keychain here)\n"
    )
    assert fake.chat_requests() == []


def test_bad_key_is_reported_without_echoing_it(run_cli, fake):
    result = run_cli("hi", WRITER_API_KEY="sk-wrong-secret-1234")
    assert_one_line(result, 1, "API key was rejected (HTTP 401)", "Invalid API key")
    assert "sk-wrong-secret-1234" not in result.stderr


def test_forbidden_is_an_authentication_error(run_cli, fake):
    fake.queue(Script(status=403, error="key lacks chat permission"))
    assert_one_line(run_cli("hi"), 1, "HTTP 403", "key lacks chat permission")


def test_unknown_model_is_named(run_cli, fake):
    assert_one_line(run_cli("-m", "palmyra-nope", "hi"), 1, "unknown model 'palmyra-nope'")


def test_model_error_as_400_is_recognised(run_cli, fake):
    fake.queue(Script(status=400, error="Invalid model: palmyra-x5"))
    assert_one_line(run_cli("hi"), 1, "unknown model 'palmyra-x5' (HTTP 400)")


def test_other_client_errors_show_the_server_description(run_cli, fake):
    fake.queue(Script(status=422, error="max_tokens is too large for this model"))
    assert_one_line(run_cli("hi"), 1, "HTTP 422", "max_tokens is too large for this model")


def test_server_error_body_with_escape_codes_is_sanitised(run_cli, fake):
    fake.queue(Script(status=503, error="overloaded \x1b]0;pwned\x07 now"))
    result = run_cli("--retries", "0", "hi")
    assert_one_line(result, 1, "server error (HTTP 503)", "overloaded")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_connection_refused(run_cli, home):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("--retries", "0", "hi", WRITER_BASE_URL=f"http://127.0.0.1:{port}")
    assert_one_line(result, 1, "cannot connect to", "refused")


def test_timeout_waiting_for_the_reply(run_cli, fake):
    fake.queue(Script(first_byte_delay=5))
    assert_one_line(run_cli("--timeout", "0.5", "hi"), 1, "timed out after 0.5 s")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("reset", "the connection broke mid-reply"),
        ("error_event", "the server reported an error mid-reply: model overloaded"),
        ("malformed", "malformed data from the server"),
        ("eof", "the reply stream ended before the reply was finished"),
    ],
)
def test_a_stream_that_breaks_keeps_what_arrived(run_cli, fake, fault, message):
    fake.queue(Script(pieces=["part one, ", "part two, ", "never"], fault=fault, fault_after=2))
    result = run_cli("hi")
    assert result.code == 1
    assert result.text == "part one, part two, \n"  # what arrived is not lost
    assert "Traceback" not in result.stderr
    note, error = result.stderr.splitlines()
    assert note == "writer-chat: reply incomplete"
    assert error.startswith(f"writer-chat: error: {message}")


def test_hang_mid_stream_is_a_timeout_not_a_hang(run_cli, fake):
    fake.queue(Script(pieces=["start ", "rest"], fault="hang", fault_after=1))
    result = run_cli("--timeout", "1", "hi", timeout=20)
    assert result.code == 1
    assert result.text == "start \n"
    assert "timed out after 1 s" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--bogus"], "No such option: --bogus"),
        (["--temperature", "9", "hi"], "--temperature"),
        (["--max-tokens", "zero", "hi"], "--max-tokens"),
        (["--base-url", "ftp://example.com", "hi"], "invalid base URL"),
        (["--base-url", "http://api.example.com", "hi"], "plain http"),
    ],
)
def test_usage_errors_exit_2(run_cli, fake, args, fragment):
    assert_one_line(run_cli(*args), 2, fragment)
    assert fake.chat_requests() == []


def test_stdin_that_is_not_utf8_is_refused(run_cli, fake):
    assert_one_line(run_cli(stdin=b"caf\xe9\n"), 2, "stdin is not utf-8 text")


def test_empty_stdin_and_no_prompt_is_a_usage_error(run_cli, fake):
    assert_one_line(run_cli(stdin=b""), 2, "nothing to send")
