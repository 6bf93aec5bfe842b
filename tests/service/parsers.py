"""What the real argparse parsers accept, for the tests that check the man pages
and the shell completions cover all of it."""

from __future__ import annotations

import argparse


def long_options(parser: argparse.ArgumentParser) -> set[str]:
    """Every ``--option`` of the parser and of its subcommands."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= long_options(sub)
    return found


def subcommands(parser: argparse.ArgumentParser) -> set[str]:
    found: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found
