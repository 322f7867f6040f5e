"""`tactful completion SHELL`: the shell completion script, to source or install."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Completes commands, options and choices (statuses, resume modes); commands load only
    when their own words are completed, so a tab press costs about what `tactful --help`
    does.

    \b
    Example:
      tactful completion bash > ~/.local/share/bash-completion/completions/tactful
      echo 'eval "$(tactful completion zsh)"' >> ~/.zshrc
      tactful completion fish > ~/.config/fish/completions/tactful.fish
    """
    from click.shell_completion import get_completion_class

    from scheduler.cli import main

    script = get_completion_class(shell)(main, {}, "tactful", "_TACTFUL_COMPLETE")
    click.echo(script.source())
