"""Shell completion: the scripts parse in their shells, complete what a user
types, and cover every option the real command-line parsers have."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from idmd.cli.main import build_parser as build_idm_parser
from idmd.completions import PROGS, SHELLS, script
from idmd.daemon import build_parser
from tests.conftest import require_tool
from tests.service.parsers import long_options, subcommands

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [(prog, shell) for prog in PROGS for shell in SHELLS]


@pytest.mark.parametrize(("prog", "shell"), SCRIPTS)
def test_the_script_parses(prog: str, shell: str, tmp_path: Path) -> None:
    path = tmp_path / f"{prog}.{shell}"
    path.write_text(script(prog, shell))

    check = subprocess.run(
        [require_tool(shell), "-n", str(path)], capture_output=True, text=True, check=False
    )

    assert (check.returncode, check.stderr) == (0, "")


def bash_complete(line: str) -> list[str]:
    """What bash offers after ``line`` (the word being completed is its last)."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    program = f"""
        {script("idm", "bash")}
        {script("idmd", "bash")}
        COMP_WORDS=({" ".join(shlex.quote(w) for w in words)})
        COMP_CWORD={len(words) - 1}
        _{words[0]}
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    result = subprocess.run(
        [require_tool("bash"), "-c", program], capture_output=True, text=True, check=True
    )
    return result.stdout.split()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "idm ",
            [
                "add",
                "ls",
                "info",
                "pause",
                "resume",
                "cancel",
                "retry",
                "rm",
                "limit",
                "config",
                "stop",
                "probe",
                "watch",
                "pair",
                "resolve",
                "token",
                "completion",
                "credentials",
                "refresh",
                "export",
                "import",
                "queue",
                "schedule",
                "set",
            ],
        ),
        ("idm set 0123abcd --cat", ["--category"]),
        ("idm queue ", ["ls", "set", "rm", "start", "stop"]),
        ("idm schedule ", ["show", "set", "clear"]),
        ("idm resolve 0123abcd ", ["rename", "overwrite", "skip"]),
        ("idm p", ["pause", "probe", "pair"]),
        ("idm --url ws://127.0.0.1:1/rpc a", ["add"]),
        ("idm add --quality 1", ["1440p", "1080p"]),
        ("idm add --mode ", ["auto", "http", "media"]),
        ("idm ls --status f", ["failed"]),
        ("idm rm --status c", ["completed", "cancelled"]),
        ("idm pause --a", ["--all"]),
        ("idm config ", ["get", "set"]),
        ("idm config set speed", ["speed_limit"]),
        ("idm completion ", ["bash", "zsh", "fish"]),
        ("idm ls --sort -f", ["-finished_at", "-filename"]),
        ("idm pair ", ["approve", "deny", "list", "revoke"]),
        ("idm credentials ", ["add", "list", "remove"]),
        ("idm add --pro", ["--proxy", "--proxy-password"]),
        ("idm config set no_", ["no_proxy"]),
        ("idm ls -q ", []),
        ("idm add -q 3", ["360p"]),
        ("idm watch -t job.s", ["job.status"]),
        ("idmd --log", ["--log-level"]),
        ("idmd service ", ["install", "uninstall", "status"]),
        ("idmd service install --d", ["--dry-run"]),
    ],
)
def test_bash_completes_what_the_user_means(line: str, expected: list[str]) -> None:
    assert bash_complete(line) == expected


def test_the_printed_scripts_register_in_bash() -> None:
    bash = require_tool("bash")
    program = (
        f'eval "$({shlex.quote(sys.executable)} -m idmd.completions bash)" && complete -p idm idmd'
    )

    result = subprocess.run(
        [bash, "-c", program], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "-F _idm idm" in result.stdout
    assert "-F _idmd idmd" in result.stdout


def test_the_printed_scripts_register_in_zsh() -> None:
    zsh = require_tool("zsh")
    program = (
        "autoload -U compinit && compinit -u -D && "
        f'eval "$({shlex.quote(sys.executable)} -m idmd.completions zsh)" && '
        "print $_comps[idm] $_comps[idmd]"
    )

    result = subprocess.run(
        [zsh, "-f", "-c", program], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.stdout.split() == ["_idm", "_idmd"], result.stderr


def test_fish_completes_subcommands_and_values() -> None:
    fish = require_tool("fish")
    program = f"""{script("idm", "fish")}
complete -C 'idm add --quality '
complete -C 'idm pair '"""

    result = subprocess.run([fish, "-c", program], capture_output=True, text=True, check=False)

    offered = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert {"best", "1080p", "audio", "approve", "deny", "list"} <= set(offered), result.stderr


def test_an_unknown_shell_or_program_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'tcsh'"):
        script("idm", "tcsh")
    with pytest.raises(ValueError, match="'wget'"):
        script("wget", "bash")


def mentioned(option: str, text: str, shell: str) -> bool:
    if shell == "fish":
        return re.search(rf"-l {re.escape(option[2:])}\b", text) is not None
    return re.search(rf"{re.escape(option)}\b", text) is not None


@pytest.mark.parametrize("shell", SHELLS)
def test_idmd_completion_knows_every_option_and_command(shell: str) -> None:
    parser = build_parser()
    text = script("idmd", shell)

    missing = {o for o in long_options(parser) if not mentioned(o, text, shell)}

    assert missing == set()
    assert all(command in text for command in subcommands(parser))


@pytest.mark.parametrize("shell", SHELLS)
def test_idm_completion_knows_every_option_and_command(shell: str) -> None:
    parser = build_idm_parser()
    text = script("idm", shell)

    missing = {o for o in long_options(parser) if not mentioned(o, text, shell)}

    assert missing == set()
    assert {c for c in subcommands(parser) if not re.search(rf"\b{c}\b", text)} == set()
