"""Every ``orgkit`` command line in the README's ```sh blocks runs as written against the bundled demo.

Each line gives the exit status its comment announces (``exit N``; else 0), prints a sane first line (no traceback,
not empty) and, for tables, fits a 120-column terminal. Lines that need a real AWS organisation (``--profile``) are
listed as skipped with that reason; the install lines (``pip install -e``, ``pytest``) are what ``.ci/run`` itself
runs, and ``orgkit demo`` is run by tests/test_demo.py.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from orgkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("orgkit "):
                lines.append(line.strip())
    return lines


COMMANDS = readme_commands()


def test_the_readme_has_commands():
    assert len(COMMANDS) >= 10 and any(c.startswith("orgkit guardduty migrate") for c in COMMANDS)


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_runs(line, capsys, monkeypatch, tmp_path):
    argv = shlex.split(line, comments=True)
    if "--profile" in argv or argv[1] == "demo":
        pytest.skip("needs a real AWS organisation" if "--profile" in argv else "run by tests/test_demo.py")
    comment = line.split("#", 1)[1] if "#" in line else ""
    m = re.search(r"\bexit (\d)", comment)
    expected = int(m.group(1)) if m else 0
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.chdir(ROOT)  # the README's paths are relative to the clone
    code = main(argv[1:])
    out, err = capsys.readouterr()
    assert code == expected, f"{line}: exit {code}\n{err}"
    assert "Traceback" not in out + err
    first = out.lstrip("\n").splitlines()[0] if out.strip() else ""
    assert first.strip() and not first.startswith(("orgkit:", "error")), f"{line}: first line {first!r}"
    if not {"--format", "--wide", "--columns"} & set(argv):
        widest = max(len(x) for x in out.splitlines())
        assert widest <= 120, f"{line}: a line of {widest} characters"
