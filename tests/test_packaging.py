"""environment.yml and pyproject.toml name the same dependencies; the README opens with the two commands."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(spec: str) -> str:
    return re.split(r"[<>=!~\[; ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(d) for d in py["dependencies"]}
    for extra in py["optional-dependencies"].values():
        wanted |= {_name(d) for d in extra}
    names = set()
    text = (ROOT / "environment.yml").read_text()
    deps = text.split("dependencies:", 1)[1]
    for line in deps.splitlines():
        m = re.match(r"^\s+-\s+(?!-e\b)([A-Za-z0-9_.\-\[\]]+[^#]*)", line)
        if m and not line.strip().endswith(":"):
            names.add(_name(m.group(1)))
    names -= {"python", "pip"}
    assert names == wanted, f"only in environment.yml: {names - wanted}; only in pyproject: {wanted - names}"


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    lines = [ln for ln in block.splitlines() if ln.strip()]
    assert "orgkit demo" in lines[0] and "pytest" in lines[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m pytest" in ci and "-e '.[test]'" in ci
