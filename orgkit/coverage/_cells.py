"""Shared building blocks: the (account, region) grid, read outcomes, and vectorised reason strings."""

from __future__ import annotations

import pandas as pd

from orgkit.model import Org

CELL_COLUMNS = ["account_id", "account_name", "ou_path", "region", "status", "reason", "source"]


def cells(org: Org) -> pd.DataFrame:
    """One row per (organisation account, requested region), with the region's enablement.

    Columns: account_id, account_name, ou_path, region, opt_status, enabled (nullable boolean: <NA> when the
    account's regions were not read, or the account has no document at all), access, access_error.
    """
    acc = org.accounts[["account_id", "account_name", "ou_path", "access", "access_error"]]
    regs = pd.DataFrame({"region": pd.Series(org.regions_requested, dtype=object)})
    grid = acc.merge(regs, how="cross")
    r = org.regions[["account_id", "region", "opt_status", "enabled"]]
    grid = grid.merge(r, on=["account_id", "region"], how="left")
    grid["enabled"] = grid["enabled"].astype("boolean")
    return grid


def account_reads(org: Org, service: str, regional: bool) -> pd.DataFrame:
    """The ``reads`` rows of one service, renamed with a ``read_`` prefix (one per account, or per account+region)."""
    r = org.reads[org.reads["service"] == service]
    if not regional:
        r = r[r["region"].isna()]
        r = r.drop(columns=["region"])
    r = r.drop(columns=["service"]).rename(columns={"status": "read_status", "error_code": "read_error_code",
                                                     "operation": "read_operation", "message": "read_message"})
    keys = ["account_id", "region"] if regional else ["account_id"]
    return r.drop_duplicates(keys)


def s(series_or_value, index=None) -> pd.Series:
    """A string Series (object dtype) for building reasons; missing values become ''."""
    if isinstance(series_or_value, pd.Series):
        return series_or_value.astype(object).where(series_or_value.notna(), "").astype(str)
    return pd.Series([series_or_value] * len(index), index=index, dtype=object)


def read_failure(df: pd.DataFrame, service: str) -> tuple[pd.Series, pd.Series]:
    """(reason, source) strings describing why a read did not happen or failed, for every row of ``df``.

    ``df`` carries read_status, read_error_code, read_operation, read_message, access, access_error.
    """
    status = s(df["read_status"])
    op = s(df["read_operation"])
    code = s(df["read_error_code"])
    msg = s(df["read_message"])
    acc_err = s(df["access_error"])
    failed = (status == "error") | (status == "partial")
    call = (service + ":" + op).where(op != "", service)
    source = (call + " " + code).str.strip().where(failed | (code != ""), "")
    not_collected = status == ""
    detail = code + (": " + msg).where((msg != "") & (msg != code), "")
    reason = ("read failed: " + detail).where(status == "error", "")
    reason = reason.where(~(status == "partial"), call + " failed: " + detail)
    skipped = ("not read: " + ("account not reachable (" + acc_err + ")").where(acc_err != "", "skipped"))
    reason = reason.where(~(status == "skipped"), skipped)
    reason = reason.where(~not_collected, "not collected for this account")
    assume_failed = (status == "skipped") & (acc_err != "") & ~acc_err.str.startswith("member roles not used")
    source = source.where(~assume_failed, "sts:AssumeRole")
    source = source.where(~((status == "skipped") & ~assume_failed), "not read")
    source = source.where(~not_collected, "not collected")
    return reason, source
