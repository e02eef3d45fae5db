"""Every command's help at a fixed terminal width: an example, no "<bool>" on plain flags, no blank gap where
a default was swallowed ("Folder for the results ."), no text cut off (each option's help ends a sentence
and nothing is truncated with an ellipsis)."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from kneechain.cli import app

COMMANDS = [[], ["analyze"], ["report"], ["batch"], ["info"], ["visit"], ["progress"]]
WIDTHS = ["100", "80"]
runner = CliRunner()


def _help(command: list[str], width: str) -> str:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": width})
    assert result.exit_code == 0, result.output
    return result.output


def _click_command(command: list[str]):
    group = typer.main.get_command(app)
    return group if not command else group.commands[command[0]]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "kneechain")
def test_help_is_complete_at_a_fixed_width(command, width):
    text = _help(command, width)
    assert "Usage" in text and "Example" in text
    assert "<bool>" not in text
    assert not re.search(r"\s\.(\s|$)", text), "a blank gap before a full stop (a swallowed default?)"
    variadic = r"\[ARGS\]\.\.\.|\{[A-Z_]+\}\.\.\."  # the usage line's "{CLIP}...": one or more
    assert "…" not in text and "..." not in re.sub(variadic, "", text), "text cut off"
    assert max(len(line) for line in text.splitlines()) <= int(width)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "kneechain")
def test_every_option_help_is_a_whole_sentence(command):
    click_command = _click_command(command)
    ctx = click_command.make_context("kneechain", [], resilient_parsing=True)
    for param in click_command.get_params(ctx):
        text = " ".join((getattr(param, "help", None) or "").split())
        assert text, f"{param.name} has no help"
        assert text[-1] in ".)]", f"{param.name}: help cut off mid-sentence: {text!r}"
        escaped = "[default" not in text or "\\[default" in (param.help or "")
        assert escaped, f"{param.name}: an unescaped [default: ...] is swallowed as markup"


def test_command_list_shows_each_command_in_whole_sentences():
    text = _help([], "100")
    for name, command in _click_command([]).commands.items():
        first = (command.help or "").split("\n\n")[0]
        assert "\n" not in first and first.endswith("."), f"{name}: {first!r}"
        assert name in text
