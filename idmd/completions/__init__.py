"""Shell completion for ``idm`` and ``idmd`` (bash, zsh, fish), shipped as
package data so every install has the scripts that match its commands;
``python -m idmd.completions SHELL`` prints them."""

from __future__ import annotations

from importlib import resources

PROGS = ("idm", "idmd")
SHELLS = ("bash", "zsh", "fish")


def script(prog: str, shell: str) -> str:
    """The completion script for ``prog`` in ``shell``; ValueError names the choices."""
    if prog not in PROGS:
        raise ValueError(f"no completion for {prog!r}; there is one for: {', '.join(PROGS)}")
    if shell not in SHELLS:
        raise ValueError(
            f"no completion for the shell {shell!r}; choose one of: {', '.join(SHELLS)}"
        )
    return resources.files(__name__).joinpath(f"{prog}.{shell}").read_text(encoding="utf-8")
