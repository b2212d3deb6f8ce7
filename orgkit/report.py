"""``orgkit report``: the curated notebooks executed on a snapshot and written as HTML reports, with an index page.

The same notebooks ``orgkit demo`` runs, pointed at any snapshot (yours, collected with ``orgkit collect``). A report
is written for a reader who does not read Python: code cells are left out (``--show-code`` keeps them), the cell that
injects the parameters is never shown (it holds local paths), and each report is self-contained (images inline, no
script from the network) and private (0600 files in a 0700 folder), like the snapshot it is made from.

The notebooks ship with the package (as data files of the wheel) so that ``pip install orgkit`` is enough; in a
source checkout the repository's ``notebooks/`` folder is used.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from orgkit.output import EXIT_INPUT, UserError

#: where the notebooks live in a source checkout (an editable install)
SOURCE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: where the wheel puts them, relative to the installation prefix (pyproject.toml: [tool.setuptools.data-files])
DATA_NOTEBOOKS = Path("share") / "orgkit" / "notebooks"

#: the report template: JupyterLab's, without the scripts it would fetch from a CDN (require.js, MathJax, mermaid,
#: the widget manager), so a report opens offline and sends no request anywhere
REPORT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""

#: tag of the cell that carries the injected parameters (papermill's name)
INJECTED = "injected-parameters"


def notebook_dir() -> Path:
    """The folder of the curated notebooks: the source checkout's, else the one installed with the wheel."""
    if SOURCE_NOTEBOOKS.is_dir() and any(SOURCE_NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        return SOURCE_NOTEBOOKS
    from importlib import metadata

    try:
        dist = metadata.distribution("orgkit")
    except metadata.PackageNotFoundError:  # pragma: no cover - orgkit imported from a bare folder
        dist = None
    for f in (dist.files or []) if dist else []:
        if f.name.endswith(".ipynb") and "notebooks" in f.parts:
            return Path(dist.locate_file(f)).resolve().parent
    import sysconfig

    candidate = Path(sysconfig.get_path("data")) / DATA_NOTEBOOKS
    if candidate.is_dir():
        return candidate
    raise UserError("the curated notebooks are not installed with orgkit (looked in the source checkout and in "
                    f"{candidate}): reinstall orgkit (pip install --force-reinstall orgkit)", EXIT_INPUT)


def notebooks() -> list[Path]:
    return sorted(notebook_dir().glob("[0-9][0-9]-*.ipynb"))


def inject_parameters(nb, params: dict) -> None:
    """Insert a cell after the one tagged ``parameters`` that overrides them (papermill's convention)."""
    import nbformat

    idx = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if idx is None or not params:
        return
    src = "# Parameters injected by orgkit\n" + "\n".join(f"{k} = {v!r}" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["tags"] = [INJECTED]
    nb.cells.insert(idx + 1, cell)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only (0600), like a snapshot: reports hold the organisation's layout."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: set it
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def report_html(nb, show_code: bool = True) -> str:
    """A self-contained HTML report of an executed notebook (images inline, no script from the network). Without
    ``show_code`` the code cells' inputs and prompts are left out; the injected-parameters cell is never shown, and
    the prompts of the cells shown are numbered 1, 2, 3... as they read (the hidden cell's number is not skipped)."""
    import copy

    import jinja2
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if INJECTED not in c.get("metadata", {}).get("tags", [])]
    renumber(nb)
    exporter = HTMLExporter(template_name="lab", extra_loaders=[jinja2.DictLoader({"orgkit-report.j2":
                                                                                   REPORT_TEMPLATE})])
    exporter.template_file = "orgkit-report.j2"
    if not show_code:
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    return body


def renumber(nb) -> None:
    """Number the executed code cells of ``nb`` 1, 2, 3... in order (their prompts and their results'), so that
    leaving a cell out does not make the prompts jump (``[1]`` then ``[3]``)."""
    n = 0
    for c in nb.cells:
        if c.get("cell_type") != "code" or c.get("execution_count") is None:
            continue
        n += 1
        c["execution_count"] = n
        for o in c.get("outputs", []):
            if "execution_count" in o:
                o["execution_count"] = n


def execute(path: Path, params: dict, timeout: int = 600):
    """Execute one notebook with ``params`` and return it. The kernel talks over Unix sockets in a private
    temporary folder (IPC transport), not TCP on loopback."""
    import tempfile

    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    inject_parameters(nb, params)
    with tempfile.TemporaryDirectory(prefix="orgkit-kernel-") as sock, \
            tempfile.TemporaryDirectory(prefix="orgkit-run-") as cwd:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sock) / "kernel"))
        try:
            # the kernel runs in an empty private folder: a notebook's relative paths (the runbook's journal)
            # land there, never beside the installed notebooks
            NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": cwd}}).execute()
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    return nb


def run_notebook(path: Path, out_dir: Path, params: dict, timeout: int = 600, show_code: bool = True,
                 keep_notebook: bool = True) -> Path:
    """Execute one notebook with ``params`` and write it as HTML into ``out_dir``, with the executed .ipynb beside
    it when ``keep_notebook`` (its parameters cell holds local paths)."""
    import nbformat

    nb = execute(path, params, timeout)
    private_dir(out_dir)
    if keep_notebook:
        write_private(out_dir / path.name, nbformat.writes(nb))
    target = out_dir / (path.stem + ".html")
    write_private(target, report_html(nb, show_code=show_code))
    return target


def _title(nb_path: Path) -> str:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for c in nb.cells:
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return nb_path.stem


INDEX_CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.45}h1{font-size:1.5rem}table{border-collapse:collapse}
td,th{text-align:left;padding:.3rem .8rem .3rem 0;vertical-align:top}li{margin:.4rem 0}.muted{color:#555}"""


def index_html(org, reports: Sequence[tuple[Path, str]], skipped: Sequence[tuple[str, str]],
               later=None) -> str:
    """The index page: what was reviewed (organisation, when it was collected, how much) and a link per report.
    Every value from the snapshot is escaped."""
    e = html.escape
    m = org.manifest

    def facts(o) -> str:
        mm = o.manifest
        return (f"<tr><th>organisation</th><td>{e(str(mm.get('organization_id')))}</td></tr>"
                f"<tr><th>management account</th><td>{e(str(mm.get('management_account_id')))}</td></tr>"
                f"<tr><th>collected</th><td>{e(str(mm.get('collected_at')))}</td></tr>"
                f"<tr><th>accounts</th><td>{len(o.accounts)}</td></tr>"
                f"<tr><th>regions</th><td>{e(', '.join(mm.get('regions') or []))}</td></tr>"
                f"<tr><th>collection errors</th><td>{len(o.errors)}</td></tr>")

    rows = "".join(f'<li><a href="{e(p.name)}">{e(title)}</a></li>' for p, title in reports)
    skip = "".join(f"<li>{e(name)}: {e(why)}</li>" for name, why in skipped)
    later_block = (f"<h2>Compared with a later snapshot</h2><table>{facts(later)}</table>" if later is not None
                   else "")
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>orgkit reports: {e(str(m.get('organization_id')))}</title><style>{INDEX_CSS}</style></head>"
            f"<body><h1>orgkit reports</h1><table>{facts(org)}</table>{later_block}"
            f"<h2>Reports</h2><ul>{rows}</ul>"
            + (f"<h2>Not written</h2><ul>{skip}</ul>" if skip else "")
            + "<p class=\"muted\">Written by <code>orgkit report</code>. These pages hold your organisation's "
              "layout: share them as you would the snapshot.</p></body></html>")


def plan_reports(snapshot: Path, later: Path | None, tfstate: Path | None, tfplan: Path | None) -> tuple[list[tuple[Path, dict]], list[tuple[str, str]]]:
    """Which notebooks to run with which parameters; and those left out, with why."""
    todo, skipped = [], []
    for nb in notebooks():
        params: dict = {"SNAPSHOT": str(snapshot)}
        if nb.name.startswith("01-") and tfstate:
            params["TFSTATE"] = str(tfstate)  # none given: no comparison with Terraform
        if nb.name.startswith("04-"):
            if later is None:
                skipped.append((nb.stem, "change review needs a later snapshot: --later SNAPSHOT"))
                continue
            params["LATER"] = str(later)
            if tfplan:
                params["TFPLAN"] = str(tfplan)  # none given: no plan review
        todo.append((nb, params))
    return todo, skipped


def write_reports(snapshot: Path, out: Path, *, later: Path | None = None, tfstate: Path | None = None,
                  tfplan: Path | None = None, show_code: bool = False,
                  only: Sequence[str] | None = None, progress=None) -> dict:
    """Execute the notebooks on ``snapshot`` and write the reports and ``index.html`` into ``out``.

    Returns ``{"index": path, "reports": [paths], "skipped": [(name, why)]}``."""
    from orgkit.model import load

    org = load(snapshot)  # validate first: a damaged snapshot is one line, not a notebook traceback
    later_org = load(later) if later is not None else None
    for p, flag in ((tfstate, "--tfstate"), (tfplan, "--terraform-plan")):
        if p is not None and not Path(p).is_file():
            raise UserError(f"{flag} {p}: no such file", EXIT_INPUT)
    todo, skipped = plan_reports(Path(snapshot).resolve(), Path(later).resolve() if later else None,
                                 Path(tfstate).resolve() if tfstate else None,
                                 Path(tfplan).resolve() if tfplan else None)
    if only:
        wanted = {w.strip() for w in only}
        skipped += [(nb.stem, "not asked for (--only)") for nb, _ in todo
                    if nb.stem not in wanted and nb.stem[:2] not in wanted]
        todo = [(nb, prm) for nb, prm in todo if nb.stem in wanted or nb.stem[:2] in wanted]
    out = private_dir(Path(out).absolute())
    reports = []
    for nb, params in todo:
        t = time.monotonic()
        target = run_notebook(nb, out, params, show_code=show_code, keep_notebook=False)
        reports.append((target, _title(nb)))
        if progress:
            progress(f"  {nb.name} executed in {time.monotonic() - t:.1f} s")
    index = out / "index.html"
    write_private(index, index_html(org, reports, skipped, later_org))
    return {"index": index, "reports": [r for r, _ in reports], "skipped": skipped}


def _cmd_report(args: argparse.Namespace) -> int:
    from orgkit.model import bundled_demo_path

    demo = args.snapshot is None
    snapshot = Path(args.snapshot) if args.snapshot else bundled_demo_path()
    if demo:
        print("orgkit report: no snapshot given: reporting on the bundled demo organisation (fictional); "
              "give a snapshot directory collected with orgkit collect", file=sys.stderr)
    if not snapshot.is_dir():
        raise UserError(f"{snapshot}: no such snapshot directory: collect one with orgkit collect --out DIR",
                        EXIT_INPUT)
    later = Path(args.later) if args.later else None
    if demo and later is None and args.terraform_plan is None:
        from orgkit.demo import BUNDLED_LATER, BUNDLED_TFPLAN, BUNDLED_TFSTATE

        later, tfplan, tfstate = BUNDLED_LATER, BUNDLED_TFPLAN, (Path(args.tfstate) if args.tfstate
                                                                  else BUNDLED_TFSTATE)
    else:
        tfplan = Path(args.terraform_plan) if args.terraform_plan else None
        tfstate = Path(args.tfstate) if args.tfstate else None
    if tfplan is not None and later is None:
        raise UserError("--terraform-plan is reviewed in the change-review report, which needs --later SNAPSHOT "
                        "(the snapshot the plan applies to)", EXIT_INPUT)
    quiet = args.quiet or not sys.stderr.isatty()
    res = write_reports(snapshot, Path(args.out), later=later, tfstate=tfstate, tfplan=tfplan,
                        show_code=args.show_code, only=args.only.split(",") if args.only else None,
                        progress=None if quiet else (lambda line: print(line, file=sys.stderr)))
    for name, why in res["skipped"]:
        print(f"orgkit report: {name} not written: {why}", file=sys.stderr)
    for r in res["reports"]:
        print(f"report: {r}")
    print(f"index: {res['index']}")
    return 0


def register(sub) -> None:
    r = sub.add_parser(
        "report", help="the curated notebooks on a snapshot, as private self-contained HTML reports with an index",
        description="Execute the curated notebooks (quickstart, coverage review, SCP inheritance, GuardDuty "
                    "migration preview, and change review when --later is given) on SNAPSHOT and write them as "
                    "HTML reports with an index page into --out. Reports are readable by you only (0600 in a 0700 "
                    "folder), load nothing from the network, and leave out the code unless --show-code.")
    r.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo, said on stderr)")
    r.add_argument("--out", required=True, help="folder for the reports and index.html")
    r.add_argument("--later", help="a later snapshot of the same organisation: adds the change-review report "
                                   "(SNAPSHOT is the earlier one)")
    r.add_argument("--terraform-plan", help="`terraform show -json` output to review against --later")
    r.add_argument("--tfstate", help="Terraform state (or `terraform show -json`) to compare trails with")
    r.add_argument("--only", help="comma-separated notebooks to run, by number or name (e.g. 01,02)")
    r.add_argument("--show-code", action="store_true", help="keep the code cells in the reports")
    r.add_argument("--quiet", action="store_true", help="no progress lines")
    r.set_defaults(fn=_cmd_report)
