"""orgkit: see, and fix, the security coverage of a whole AWS Organization.

Layers (the arrows only point down):

* :mod:`orgkit.aws` collects (boto3, read-only) into a snapshot directory;
* :mod:`orgkit.snapshot` writes and reads snapshots;
* :mod:`orgkit.model` turns a snapshot into pandas DataFrames and a networkx OU graph (:class:`Org`);
* analyses (:mod:`orgkit.coverage`, :mod:`orgkit.scp`, :mod:`orgkit.guardduty`) are pure functions over an ``Org``;
* :mod:`orgkit.diff` compares two of them (or one and a Terraform plan): ``orgkit.diff(before, after)``;
* notebooks and :mod:`orgkit.cli` show them.
"""

__version__ = "0.1.0"

from orgkit.model import Org, load  # noqa: E402

__all__ = ["Org", "load", "diff", "__version__"]


def __getattr__(name: str):
    # orgkit.diff is imported on first use, so that `import orgkit` stays light; the module is callable:
    # orgkit.diff(before, after) is orgkit.diff.diff(before, after)
    if name == "diff":
        import importlib

        return importlib.import_module("orgkit.diff")
    raise AttributeError(f"module 'orgkit' has no attribute {name!r}")
