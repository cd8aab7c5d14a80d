"""Prompt templates: `-t NAME -p name=value` with piped `{input}`, `--save`, `templates`, and
`/template` in the REPL, through the real program."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from chatbot.errors import UsageError
from chatbot.inputs.templates import fill, placeholders
from tests.conftest import WRITER_CHAT, cli_env
from tests.terminal import Terminal

REVIEW = '''\
description = "Review a diff"
system = "You review {lang} code. Be brief."
prompt = """Review this diff, bugs first:

{input}"""
model = "palmyra-x4"
temperature = 0.2

[params]
lang = "Python"
'''


def _template(home: Path, name: str, text: str) -> dict[str, str]:
    folder = home / "cfg" / "writer-chat" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.toml").write_text(text)
    return {"XDG_CONFIG_HOME": str(home / "cfg")}


def test_placeholders_are_filled_and_double_braces_stay_braces():
    assert placeholders("a {x} {y_2} {x} {{z}} {not valid}") == ["x", "y_2"]
    assert fill("fn() {{ {body} }}", {"body": "x"}, "t") == "fn() { x }"
    with pytest.raises(UsageError) as raised:
        fill("{lang} {input}", {}, "review")
    assert str(raised.value) == (
        "template 'review' needs a value for {lang}, {input}: -p lang=… pipe it on stdin"
    )
    assert fill("{a} {b}", {"a": "1"}, "t", keep_missing=True) == "1 {b}"


def test_a_template_with_variables_stdin_and_a_file(run_cli, fake, home):
    env = _template(home, "review", REVIEW)
    (home / "work" / "main.rs").write_text("fn main() {}\n")
    diff = b"--- a/main.rs\n+++ b/main.rs\n+fn main() {}\n"
    result = run_cli("-t", "review", "-p", "lang=Rust", "-f", "main.rs", stdin=diff, **env)
    assert result.code == 0, result.stderr
    body = fake.chat_requests()[-1].body
    assert body["model"] == "palmyra-x4" and body["temperature"] == 0.2
    assert body["messages"][0] == {"role": "system", "content": "You review Rust code. Be brief."}
    assert body["messages"][1]["content"] == (
        "Review this diff, bugs first:\n\n--- a/main.rs\n+++ b/main.rs\n+fn main() {}"
        "\n\nmain.rs:\n```\nfn main() {}\n```"
    )


def test_flags_beat_the_template_and_words_are_added_to_its_prompt(run_cli, fake, home):
    env = _template(home, "review", REVIEW)
    result = run_cli("-t", "review", "-m", "palmyra-x5", "focus on errors", stdin=b"diff", **env)
    assert result.code == 0, result.stderr
    body = fake.chat_requests()[-1].body
    assert body["model"] == "palmyra-x5"
    assert body["messages"][0]["content"] == "You review Python code. Be brief."  # the default
    assert body["messages"][1]["content"].endswith("diff\n\nfocus on errors")


@pytest.mark.parametrize(
    ("args", "stdin", "said"),
    [
        (("-t", "review"), b"", "template 'review' puts piped text in its {input}: none came"),
        (("-t", "nosuch", "x"), b"", "no template 'nosuch' (templates: review, terse)"),
        (("-t", "terse"), b"", "template 'terse' needs a value for {thing}: -p thing=…"),
        (("-t", "terse", "-p", "thing"), b"", "-p takes name=value, not 'thing'"),
        (("-p", "thing=x", "hi"), b"", "-p gives a template's placeholders a value: it goes with"),
    ],
)
def test_template_mistakes_are_one_line_and_nothing_is_sent(run_cli, fake, home, args, stdin, said):
    _template(home, "terse", 'prompt = "explain {thing}"\n')
    env = _template(home, "review", REVIEW)
    result = run_cli(*args, stdin=stdin, **env)
    assert result.code == 2 and said in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert fake.chat_requests() == []


def test_save_then_use_and_list(run_cli, fake, home):
    env = {"XDG_CONFIG_HOME": str(home / "cfg")}
    saved = run_cli(
        "-m", "palmyra-x4", "-s", "You are terse about {topic}.", "--temperature", "0.3",
        "--save", "terse", "explain {thing}", **env,
    )  # fmt: skip
    assert saved.code == 0 and "saved the template terse" in saved.text
    assert fake.chat_requests() == []  # --save sends nothing
    used = run_cli("-t", "terse", "-p", "thing=TCP", "-p", "topic=networks", **env)
    assert used.code == 0, used.stderr
    body = fake.chat_requests()[-1].body
    assert (body["model"], body["temperature"]) == ("palmyra-x4", 0.3)
    assert [m["content"] for m in body["messages"]] == [
        "You are terse about networks.",
        "explain TCP",
    ]
    _template(home, "broken", "prompt = 3\n")
    listed = run_cli("templates", **env).text.splitlines()
    assert (
        listed[0].startswith("broken  (cannot be read: ")
        and "'prompt' must be a string" in listed[0]
    )
    assert listed[1] == "terse   explain {thing}"


def test_templates_edit_starts_from_an_example_and_checks_the_result(run_cli, home):
    editor = home / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/Python/Rust/" "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    env = {"XDG_CONFIG_HOME": str(home / "cfg"), "EDITOR": str(editor), "VISUAL": ""}
    made = run_cli("templates", "edit", "review", **env)
    assert made.code == 0, made.stderr
    text = (home / "cfg" / "writer-chat" / "templates" / "review.toml").read_text()
    assert 'lang = "Rust"' in text and "{input}" in text
    breaking = home / "break.sh"
    breaking.write_text('#!/bin/sh\nsed -i "1i colour = 1" "$1"\n')
    breaking.chmod(0o755)
    broken = run_cli("templates", "edit", "review", **{**env, "EDITOR": str(breaking)})
    assert broken.code == 2 and "unknown key 'colour'" in broken.stderr


def test_template_in_the_repl_sets_the_system_prompt_and_offers_its_prompt(fake, home):
    env = {**cli_env(home, fake.url), **_template(home, "review", REVIEW)}
    term = Terminal([WRITER_CHAT], env, str(home / "work"))
    try:
        term.wait_for_prompt(1)
        term.type("/template review lang=Go\r")
        term.wait_for("template review: system prompt, model palmyra-x4, temperature 0.2;")
        term.wait_until(
            lambda: "> Review this diff, bugs first:" in term.text(), "the prompt to edit"
        )
        term.type("\x15")  # Ctrl-U: the cursor is at the end; clear its line, "{input}"
        term.type("the diff\r")
        fake.wait_for_requests(1)
    finally:
        term.close()
    body = fake.chat_requests()[-1].body
    assert body["messages"][0]["content"] == "You review Go code. Be brief."
    assert body["model"] == "palmyra-x4"
    assert body["messages"][1]["content"] == "Review this diff, bugs first:\n\nthe diff"


def test_save_never_replaces_a_template_unasked(run_cli, fake, home):
    env = {"XDG_CONFIG_HOME": str(home / "cfg")}
    assert run_cli("--save", "mine", "-s", "Hand edited.", "first", **env).code == 0
    path = home / "cfg" / "writer-chat" / "templates" / "mine.toml"
    before = path.read_text()
    again = run_cli("--save", "mine", "second", **env)
    assert again.code == 2 and "exists already" in again.stderr and "--force" in again.stderr
    assert path.read_text() == before
    assert run_cli("--save", "mine", "--force", "second", **env).code == 0
    assert 'prompt = "second"' in path.read_text()
    assert run_cli("--force", "hi", **env).code == 2  # --force alone replaces nothing


def test_templates_edit_that_saves_nothing_makes_nothing(run_cli, home):
    editor = home / "leave.sh"
    editor.write_text("#!/bin/sh\nexit 0\n")  # opens and quits without a change
    editor.chmod(0o755)
    env = {"XDG_CONFIG_HOME": str(home / "cfg"), "EDITOR": str(editor), "VISUAL": ""}
    left = run_cli("templates", "edit", "idea", **env)
    assert left.code == 0 and "nothing saved" in left.text
    folder = home / "cfg" / "writer-chat" / "templates"
    assert list(folder.iterdir()) == []
