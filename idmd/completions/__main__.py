"""``python -m idmd.completions SHELL [PROG…]``: print the completion scripts,
e.g. ``eval "$(python -m idmd.completions bash)"`` in ~/.bashrc."""

from __future__ import annotations

import argparse
import sys

from idmd.completions import PROGS, SHELLS, script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m idmd.completions", description=__doc__)
    parser.add_argument("shell", choices=SHELLS)
    # No choices= here: argparse rejects an empty list against them (Python < 3.12).
    parser.add_argument("progs", nargs="*", metavar="PROG", help="idm, idmd (default: both)")
    args = parser.parse_args(argv)
    for prog in args.progs:
        if prog not in PROGS:
            parser.error(f"no completion for {prog!r}; choose from {', '.join(PROGS)}")
    for prog in args.progs or PROGS:
        sys.stdout.write(script(prog, args.shell))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
