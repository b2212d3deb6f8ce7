"""`orgkit report` (issue 19, point 6) and the member-role templates (point 8)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import SimpleNamespace

import pytest

from orgkit import memberrole
from orgkit.demo import BUNDLED_LATER
from orgkit.model import bundled_demo_path
from orgkit.report import index_html, write_reports

ROOT = Path(__file__).resolve().parents[1]


def _assert_private_and_offline(out: Path, *secrets: str) -> list[Path]:
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    pages = sorted(out.glob("*.html"))
    assert pages
    for page in pages:
        assert stat.S_IMODE(page.stat().st_mode) == 0o600, page
        text = page.read_text()
        for s in secrets:
            assert s not in text, f"{page.name} shows the local path {s}"
        assert not re.search(r"<script[^>]*\bsrc=", text), f"{page.name} loads a script"
        assert not re.search(r"<link[^>]*href=\"https?:", text), f"{page.name} loads a stylesheet"
    return pages


def test_report_from_a_wheel_in_a_fresh_venv(tmp_path):
    """The wheel carries the notebooks: `pip install orgkit` then `orgkit report SNAPSHOT --out DIR` works, far from
    any source checkout, and the reports hide code and local paths."""
    wheels = tmp_path / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = wheels.glob("orgkit-*.whl")
    venv = tmp_path / "venv"
    # the dependencies come from this environment (no download); orgkit itself only from the wheel
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    # --ignore-installed: the editable orgkit of this checkout is visible through the borrowed site-packages
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", str(wheel)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    snap = tmp_path / "collected" / "snapshot-2026-12-01"
    shutil.copytree(bundled_demo_path(), snap)
    out = tmp_path / "reports"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    # nbconvert's templates are data files of the environment that installed nbconvert (sys.prefix/share/jupyter);
    # a venv that borrows its site-packages must be told where they are
    env["JUPYTER_PATH"] = str(Path(sysconfig.get_path("data")) / "share" / "jupyter")
    r = subprocess.run([str(py), "-c", "import orgkit, orgkit.report as r; print(orgkit.__file__); "
                        "print(r.notebook_dir())"], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    where, nbdir = r.stdout.split()
    assert where.startswith(str(venv)) and nbdir.startswith(str(venv)), r.stdout
    r = subprocess.run([str(venv / "bin" / "orgkit"), "report", str(snap), "--out", str(out), "--only", "00,01"],
                       capture_output=True, text=True, cwd=elsewhere, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert "04-change-review not written: change review needs a later snapshot" in r.stderr
    pages = _assert_private_and_offline(out, str(snap), str(tmp_path))
    assert [p.name for p in pages] == ["00-quickstart.html", "01-coverage-review.html", "index.html"]
    assert not list(out.glob("*.ipynb")), "the executed notebooks (their parameters hold local paths) are not kept"
    quick = (out / "00-quickstart.html").read_text()
    assert "orgkit.load(" not in quick and "import orgkit" not in quick, "code cells are left out"
    org = json.loads((snap / "manifest.json").read_text())
    assert org["organization_id"] in quick
    index = (out / "index.html").read_text()
    assert 'href="00-quickstart.html"' in index and 'href="01-coverage-review.html"' in index
    assert org["organization_id"] in index and org["collected_at"] in index


def test_report_change_review_without_a_plan_never_shows_the_demo_plan(tmp_path):
    """With --later and no --terraform-plan, the change review compares the two snapshots and reviews no plan (the
    demo's plan never stands in for yours)."""
    before = tmp_path / "before"
    shutil.copytree(bundled_demo_path(), before)
    res = write_reports(before, tmp_path / "out", later=BUNDLED_LATER, only=["04"], show_code=True)
    (page,) = res["reports"]
    text = page.read_text()
    assert "No Terraform plan given (TFPLAN = None): no plan review." in text
    from orgkit.demo import BUNDLED_TFPLAN

    for rc in json.loads(BUNDLED_TFPLAN.read_text())["resource_changes"]:
        assert rc["address"] not in text, f"the demo plan's {rc['address']} is reviewed"
    assert str(before) not in text  # the injected parameters cell is left out, even with the code shown
    assert {n for n, _ in res["skipped"]} == {"00-quickstart", "01-coverage-review", "02-scp-inheritance",
                                             "03-guardduty-migration", "05-least-privilege"}


def test_report_says_when_it_reports_on_the_demo(tmp_path):
    r = subprocess.run([sys.executable, "-m", "orgkit.cli", "report", "--out", str(tmp_path / "o"), "--only", "02",
                        "--quiet"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    first = r.stderr.splitlines()[0]
    assert first.startswith("orgkit report: no snapshot given: reporting on the bundled demo organisation")


@pytest.mark.parametrize("args, needle", [
    (["/nonexistent/snapshot"], "no such snapshot directory"),
    ([str(bundled_demo_path()), "--terraform-plan", "plan.json"], "needs --later SNAPSHOT"),
])
def test_report_bad_input_is_one_line(tmp_path, args, needle):
    r = subprocess.run([sys.executable, "-m", "orgkit.cli", "report", *args, "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len([line for line in r.stderr.splitlines() if line.strip()]) == 1


def _executed(*tags_and_counts):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# A report"))
    for tags, count in tags_and_counts:
        c = nbformat.v4.new_code_cell(f"x = {count}\nx")
        c.metadata["tags"] = list(tags)
        c.execution_count = count
        c.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": str(count)},
                                            execution_count=count)]
        nb.cells.append(c)
    return nb


def test_report_prompts_read_consecutively_without_the_injected_cell():
    """Issue 19: the demo's reports numbered their prompts 1, 3, 4... (the hidden injected-parameters cell ran
    second). Each prompt shown is numbered as it reads, its result too; the notebook given is not changed."""
    from orgkit.report import INJECTED, report_html

    nb = _executed((["parameters"], 1), ([INJECTED], 2), ([], 3), ([], 4))
    page = report_html(nb, show_code=True)
    ins = [int(n) for n in re.findall(r"In(?:&nbsp;|\xa0| )\[(\d+)\]", page)]
    outs = [int(n) for n in re.findall(r"Out\[(\d+)\]", page)]
    assert ins == [1, 2, 3] and outs == [1, 2, 3], (ins, outs)
    assert "x = 2" not in page  # the injected cell is not shown
    assert [c.get("execution_count") for c in nb.cells[1:]] == [1, 2, 3, 4]
    assert not re.findall(r"In(?:&nbsp;|\xa0| )\[", report_html(nb, show_code=False))  # without code: no prompts at all


def test_index_escapes_what_the_snapshot_says():
    hostile = "<script>alert('org')</script>"
    org = SimpleNamespace(manifest={"organization_id": hostile, "management_account_id": "0123",
                                    "collected_at": "<img src=x onerror=alert(1)>", "regions": ["<b>r</b>"]},
                          accounts=[], errors=[])
    page = index_html(org, [(Path("00-<x>.html"), "Title <i>")], [("n<", "why <b>")])
    assert "<script>" not in page and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&#x27;org&#x27;)&lt;/script&gt;" in page


# --- the member role --------------------------------------------------------------------------------------------


def test_member_role_templates_carry_the_collector_policy():
    """The shipped templates are what `orgkit member-role` prints, and their policy is the collector's, statement
    for statement (the policy a test holds to every call the collector makes)."""
    policy = json.loads(memberrole.COLLECTOR_POLICY.read_text())
    for fmt, path in memberrole.SHIPPED.items():
        assert path.read_text() == memberrole.RENDER[fmt](), f"{path.name} drifted: python -m orgkit.memberrole"
    cfn = json.loads(memberrole.SHIPPED["cloudformation"].read_text())
    role = cfn["Resources"]["OrgkitReadOnlyRole"]["Properties"]
    assert role["Policies"][0]["PolicyDocument"] == policy
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"AWS": {"Ref": "CollectorPrincipalArn"}},
                      "Action": "sts:AssumeRole"}]
    tf = memberrole.SHIPPED["terraform"].read_text()
    heredoc = tf.split("<<-POLICY\n", 1)[1].split("\n  POLICY", 1)[0]
    assert json.loads(heredoc) == policy
    actions = [a for st in policy["Statement"]
               for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])]
    # read-only actions only (and sts:AssumeRole, which the collector makes to read member accounts)
    # (and iam:GenerateOrganizationsAccessReport, which only starts a report job: collect --access-reports)
    assert all(re.match(r"^[a-z0-9-]+:(List|Describe|Get)", a)
               or a in ("sts:AssumeRole", "iam:GenerateOrganizationsAccessReport") for a in actions), actions


def test_member_role_cli_prints_the_template():
    r = subprocess.run([sys.executable, "-m", "orgkit.cli", "member-role", "--format", "terraform"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == memberrole.SHIPPED["terraform"].read_text()


def _terraform_mirror() -> Path | None:
    for p in (Path("/opt/tf-plugins"), Path.home() / ".terraform.d" / "plugins"):
        if (p / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return p
    return None


@pytest.mark.skipif(shutil.which("terraform") is None or _terraform_mirror() is None,
                    reason="terraform and a local hashicorp/aws provider mirror are needed")
def test_member_role_terraform_validates(tmp_path):
    (tmp_path / "main.tf").write_text(memberrole.SHIPPED["terraform"].read_text())
    rc = tmp_path / "terraformrc"
    rc.write_text('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n    include = '
                  '["registry.terraform.io/*/*"]\n  }\n  direct { exclude = ["registry.terraform.io/*/*"] }\n}\n'
                  % _terraform_mirror())
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    r = subprocess.run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["terraform", "validate", "-no-color"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and "Success" in r.stdout, r.stdout + r.stderr


@pytest.mark.skipif(shutil.which("cfn-lint") is None, reason="cfn-lint is not installed")
def test_member_role_cloudformation_lints():
    r = subprocess.run(["cfn-lint", str(memberrole.SHIPPED["cloudformation"])], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
