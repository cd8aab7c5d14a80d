"""`writer-chat templates …`: prompt templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from chatbot.subcommands.typer_app import env_of
from chatbot.subcommands.typer_app import out as _out
from chatbot.subcommands.typer_app import sub_app as _sub_app

if TYPE_CHECKING:
    pass


templates_app = _sub_app("Prompt templates: list, show, edit (creates one), rm.")


@templates_app.callback()
def templates_list(ctx: typer.Context) -> None:
    """List the templates: name and what each is for."""
    env = env_of(ctx)
    if ctx.invoked_subcommand is not None:
        return
    from chatbot.inputs.templates import all_templates, templates_dir
    from chatbot.sanitize import one_line

    found = all_templates(env)
    if not found:
        _out(env, f"no templates yet in {templates_dir(env)}: writer-chat templates edit NAME")
        return
    width = max(len(t.name) for t in found)
    for template in found:
        about = template.description or (template.prompt or template.system or "").strip()
        _out(env, f"{template.name:<{width}}  {one_line(about, 70)}")


@templates_app.command("show")
def templates_show(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]
) -> None:
    """Print a template's file."""
    env = env_of(ctx)
    from chatbot.capped import read_text
    from chatbot.inputs.templates import TEMPLATE_LIMIT, load_template

    _out(env, read_text(load_template(name, env).path, cap=TEMPLATE_LIMIT), end="")


@templates_app.command("edit", short_help="Edit a template in $VISUAL or $EDITOR.")
def templates_edit(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]
) -> None:
    """Open a template in $VISUAL or $EDITOR (a new one starts from an example)."""
    env = env_of(ctx)
    from chatbot.capped import read_text
    from chatbot.inputs.templates import SKELETON, TEMPLATE_LIMIT, load_template, template_path
    from chatbot.paths import write_private
    from chatbot.terminal.editor import edit_file

    path = template_path(name, env)
    if path.exists():
        edit_file(path, env)
    else:  # a new one is written only if the editor saved something of the user's
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.draft")
        example = SKELETON.format(name=name)
        write_private(draft, example)
        try:
            edit_file(draft, env)
            text = read_text(draft, cap=TEMPLATE_LIMIT)
            if text == example or not text.strip():
                _out(env, f"nothing saved: the editor left the example as it was ({name} not made)")
                return
            draft.replace(path)
        finally:
            draft.unlink(missing_ok=True)
    load_template(name, env)  # a mistake is said now, not at the next use
    _out(env, f"{path} saved; use it with: writer-chat -t {name}")


@templates_app.command("rm")
def templates_rm(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Remove a template."""
    env = env_of(ctx)
    from chatbot.inputs.templates import load_template

    load_template(name, env).path.unlink()
    _out(env, f"removed the template {name}")
