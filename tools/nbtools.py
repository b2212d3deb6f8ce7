"""Write a notebook from a list of cells and execute it in place (outputs committed, nbval checks them).

    python tools/nbtools.py execute notebooks/00-quickstart.ipynb

Cells are given as ("md", text) / ("code", source) / ("code", source, [tags]).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def make(path: str | Path, cells: list[tuple]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for c in cells:
        kind, src = c[0], c[1].strip("\n")
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        if len(c) > 2:
            cell.metadata["tags"] = list(c[2])
        nb.cells.append(cell)
    path = Path(path)
    nbformat.write(nb, path)
    return path


def execute(path: str | Path, timeout: int = 600) -> Path:
    """Run the notebook in its own directory and store its outputs (cell ids made stable)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return path


def build(path: str | Path, cells: list[tuple]) -> Path:
    """Write the notebook from its cells and execute it in place (what every tools/notebooks/build_NN.py does)."""
    path = execute(make(path, cells))
    print("wrote and executed", path)
    return path


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "execute":
        for p in sys.argv[2:]:
            execute(p)
            print("executed", p)
    else:
        print(__doc__)
        sys.exit(2)
