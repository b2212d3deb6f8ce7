"""Write and read snapshot directories (see docs/snapshot.md).

A snapshot is written into a private temporary sibling directory and renamed into place only once every file and,
last, ``manifest.json`` (with the sha256 of every other file, and its own digest) are on disk, so a snapshot cut
short never looks complete. Reading checks the manifest (its digest, its canonical form, that every file it lists
stays inside the snapshot), the schema version and every file's checksum, and names the file at fault;
:func:`cross_check` then holds the manifest's facts (organisation, management account, regions, counts) to the
data files. A run killed before its rename leaves a ``.NAME.partial-HOST-PID-…`` directory: the next writer for
the same snapshot removes it when its process is provably gone (same host, no such pid) and names it otherwise.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

#: keeps MathJax (JupyterLab typesets HTML outputs) off the text of names such as ``$\alpha$``
_NO_MATH = "class='mathjax_ignore tex2jax_ignore'"

#: 2: the manifest carries its own digest (``manifest_sha256``) and is written in canonical form. Schema 1
#: snapshots (no digest) are still read, with the cross-checks; a schema-1 manifest that carries a digest is refused.
SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
DIGEST_KEY = "manifest_sha256"


class SnapshotError(Exception):
    """A snapshot that cannot be read: the message names the file and what is wrong with it."""

    def __init__(self, path: os.PathLike | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def _repr_html_(self) -> str:  # friendly in notebooks
        from html import escape

        return (
            f"<div {_NO_MATH} style='border-left:4px solid #c0392b;padding:4px 8px'><b>Snapshot error</b><br>"
            f"<code>{escape(self.path)}</code>: {escape(self.problem)}</div>"
        )


def _default(o: Any) -> Any:
    if isinstance(o, _dt.datetime):
        if o.tzinfo is None:
            o = o.replace(tzinfo=_dt.timezone.utc)
        return o.astimezone(_dt.timezone.utc).isoformat()
    if isinstance(o, _dt.date):
        return o.isoformat()
    if isinstance(o, bytes):
        return o.decode("utf-8", "replace")
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"cannot store {type(o).__name__} in a snapshot")


def dumps(data: Any) -> str:
    """The canonical text of a snapshot file: sorted keys, indented, UTF-8, newline-terminated."""
    return json.dumps(data, default=_default, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def strip_metadata(response: dict) -> dict:
    """A boto3 response without its ResponseMetadata (request ids and retry counts are not data)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def manifest_digest(manifest: dict) -> str:
    """The sha256 of a manifest's canonical text without its own ``manifest_sha256`` entry."""
    body = {k: v for k, v in manifest.items() if k != DIGEST_KEY}
    return hashlib.sha256(dumps(body).encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------------------------- leftovers
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname())[:40] or "host"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return True
    return True


def sweep_leftovers(out: os.PathLike | str, clean: bool = True) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The ``.NAME.partial-*`` and ``.NAME.old-*`` directories that runs writing ``out`` left behind.

    Returns ``(removed, kept)``: a leftover is removed (when ``clean``) only when it is provably stale: it names
    this host and a process id that no longer exists. The others are kept, each with why (``kept`` lists
    ``(path, reason)``): another run may still be writing it, it comes from another host, or from an orgkit that
    did not record its process. A ``.old-`` directory is the previous snapshot moved aside during a replace: it
    is removed only when ``out`` is a complete snapshot again.
    """
    out = Path(out).absolute()
    parent = out.parent
    removed: list[Path] = []
    kept: list[tuple[Path, str]] = []
    if not parent.is_dir():
        return removed, kept
    pat = re.compile(rf"^\.{re.escape(out.name)}\.(partial|old)-(.*)$")
    owner = re.compile(r"^(?P<host>[A-Za-z0-9_.]+)-(?P<pid>\d+)(-.*)?$")
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return removed, kept
    for p in entries:
        m = pat.match(p.name)
        if not m or not p.is_dir() or p.is_symlink():
            continue
        kind, rest = m.group(1), m.group(2)
        o = owner.match(rest)
        if o is None:
            kept.append((p, f"left by an earlier run (no process recorded): remove it if no orgkit collect is "
                            f"writing {out}"))
            continue
        host, pid = o.group("host"), int(o.group("pid"))
        if host != _host():
            kept.append((p, f"left by process {pid} on host {host}: remove it if that run is over"))
            continue
        if pid == os.getpid() or _pid_alive(pid):
            kept.append((p, f"process {pid} may still be writing it"))
            continue
        if kind == "old" and not (out / MANIFEST).exists():
            kept.append((p, f"the previous snapshot, moved aside by a run that was killed: move it back to {out}"))
            continue
        if clean:
            shutil.rmtree(p, ignore_errors=True)
        if p.exists():
            kept.append((p, f"left by process {pid} (gone) but could not be removed"))
        else:
            removed.append(p)
    return removed, kept


def check_target(out: os.PathLike | str) -> Path:
    """Refuse, before any work, an ``out`` that cannot become a snapshot directory: a file, a directory that
    holds something else, or a place that cannot be written. Returns the absolute path."""
    out = Path(out).absolute()
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise SnapshotError(out, "exists and is not a directory: give a new directory, or an earlier snapshot "
                                     "to replace")
        if not (out / MANIFEST).exists() and any(out.iterdir()):
            raise SnapshotError(out, "exists and is not a snapshot (no manifest.json); refusing to replace it: "
                                     "give a new directory")
    anc = out.parent
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise SnapshotError(anc, "is not a directory: cannot create the snapshot beneath it")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise SnapshotError(anc, "is not writable: cannot create the snapshot there")
    return out


class SnapshotWriter:
    """Collects files in a private temporary directory next to ``out``; :meth:`commit` makes it the snapshot.

    Use as a context manager: leaving the block with an exception removes the temporary directory and leaves any
    earlier snapshot at ``out`` untouched. The temporary directory is named ``.NAME.partial-HOST-PID-…`` so that a
    later writer can tell a leftover of a killed run (:func:`sweep_leftovers`, called here: ``self.removed`` and
    ``self.leftovers`` say what it removed and what it kept).
    """

    def __init__(self, out: os.PathLike | str):
        self.out = check_target(out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.removed, self.leftovers = sweep_leftovers(self.out)
        old = os.umask(0o077)
        try:
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.partial-{_host()}-{os.getpid()}-",
                                             dir=self.out.parent))
        finally:
            os.umask(old)
        self._files: dict[str, str] = {}

    def write(self, relpath: str, data: Any) -> None:
        _safe_relpath(relpath, self.tmp)
        text = dumps(data).encode("utf-8")
        target = self.tmp / relpath
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
        self._files[relpath] = hashlib.sha256(text).hexdigest()

    def commit(self, manifest: dict) -> Path:
        manifest = {k: v for k, v in manifest.items() if k != DIGEST_KEY}
        manifest["schema_version"] = SCHEMA_VERSION
        manifest["files"] = dict(sorted(self._files.items()))
        manifest[DIGEST_KEY] = manifest_digest(manifest)
        text = dumps(manifest).encode("utf-8")
        fd = os.open(self.tmp / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if self.out.exists():
            if not self.out.is_dir():
                raise SnapshotError(self.out, "exists and is not a directory; refusing to replace it")
            if not (self.out / MANIFEST).exists() and any(self.out.iterdir()):
                raise SnapshotError(self.out, "exists and is not a snapshot; refusing to replace it")
            trash = self.out.with_name(f".{self.out.name}.old-{_host()}-{os.getpid()}")
            os.replace(self.out, trash)
            try:
                os.replace(self.tmp, self.out)
            except BaseException:  # put the previous snapshot back (Ctrl-C, or the rename failed)
                if not self.out.exists():
                    os.replace(trash, self.out)
                raise
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(self.tmp, self.out)
        return self.out

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "SnapshotWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or self.tmp.exists():
            self.abort()


def _safe_relpath(relpath: Any, root: Path) -> None:
    """A snapshot file's name: relative, forward slashes, no ``..``, no empty or ``.`` part."""
    if not isinstance(relpath, str) or not relpath:
        raise SnapshotError(root / MANIFEST, f"lists a file with an invalid name {relpath!r}")
    pp = PurePosixPath(relpath)
    if (pp.is_absolute() or relpath.startswith(("/", "\\")) or "\\" in relpath or re.match(r"^[A-Za-z]:", relpath)
            or any(part in ("..", ".", "") for part in relpath.split("/")) or relpath == MANIFEST):
        raise SnapshotError(root / MANIFEST, f"lists {relpath!r}, which points outside the snapshot (or at the "
                                             "manifest itself): refused (edited manifest?)")


class SnapshotReader:
    """Reads and checks a snapshot directory; every problem is a :class:`SnapshotError` naming the file."""

    def __init__(self, path: os.PathLike | str, verify: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            raise SnapshotError(self.path, "no such snapshot directory")
        if not self.path.is_dir():
            raise SnapshotError(self.path, "is not a directory (a snapshot is a directory with a manifest.json)")
        mpath = self.path / MANIFEST
        if not mpath.exists():
            raise SnapshotError(mpath, "missing: this directory is not a complete snapshot")
        if mpath.is_symlink():
            raise SnapshotError(mpath, "is a link: refused; a snapshot holds only regular files")
        raw = mpath.read_bytes()
        self.manifest = self._parse(mpath, raw)
        if not isinstance(self.manifest, dict):
            raise SnapshotError(mpath, "is not a JSON object")
        version = self.manifest.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise SnapshotError(mpath, "has no integer schema_version")
        if version > SCHEMA_VERSION:
            raise SnapshotError(
                mpath, f"schema version {version} is newer than this orgkit reads ({SCHEMA_VERSION}): upgrade orgkit"
            )
        if version < 1:
            raise SnapshotError(mpath, f"unknown schema version {version}")
        self.schema_version = version
        files = self.manifest.get("files")
        if not isinstance(files, dict):
            raise SnapshotError(mpath, "has no 'files' table")
        root = self.path.resolve()
        for rel, sha in files.items():
            _safe_relpath(rel, self.path)
            if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise SnapshotError(mpath, f"lists {rel!r} with an invalid checksum {sha!r}")
            target = (self.path / rel)
            if target.is_symlink() or (target.exists() and not target.resolve().is_relative_to(root)):
                raise SnapshotError(target, "is a link (or leads outside the snapshot): refused; a snapshot holds "
                                            "only regular files")
        if version >= 2:
            digest = self.manifest.get(DIGEST_KEY)
            if not isinstance(digest, str):
                raise SnapshotError(mpath, f"has no {DIGEST_KEY} (schema {version} manifests carry their own "
                                           "digest): edited or truncated")
            if digest != manifest_digest(self.manifest):
                raise SnapshotError(mpath, f"does not match its own digest ({DIGEST_KEY}): the manifest was edited")
            if raw != dumps(self.manifest).encode("utf-8"):
                raise SnapshotError(mpath, "is not in the canonical form orgkit writes: the manifest was edited")
        elif DIGEST_KEY in self.manifest:
            raise SnapshotError(mpath, f"says schema version {version} but carries a {DIGEST_KEY} (which schema "
                                       f"{version} never had): the manifest was edited")
        self.files: dict[str, str] = files
        self.verify = verify

    @staticmethod
    def _parse(path: Path, raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:
            raise SnapshotError(path, f"is not valid JSON (truncated or corrupt?): {e}") from None

    def read(self, relpath: str) -> Any:
        if relpath not in self.files:
            raise SnapshotError(self.path / relpath, "is not listed in manifest.json")
        fpath = self.path / relpath
        try:
            raw = fpath.read_bytes()
        except FileNotFoundError:
            raise SnapshotError(fpath, "is listed in manifest.json but missing") from None
        if self.verify and hashlib.sha256(raw).hexdigest() != self.files[relpath]:
            raise SnapshotError(fpath, "does not match its checksum in manifest.json (truncated or edited?)")
        return self._parse(fpath, raw)

    def read_optional(self, relpath: str, default: Any = None) -> Any:
        return self.read(relpath) if relpath in self.files else default

    def account_files(self) -> Iterator[str]:
        return (f for f in sorted(self.files) if f.startswith("accounts/") and f.endswith(".json"))


# ----------------------------------------------------------------------------------------------- cross-checks
#: manifest key: the regions of ``regions`` that no account's region list had when collected (in its order)
REGIONS_UNLISTED = "regions_unlisted"


def unlisted_regions(regions: list[str], account_docs: dict[str, dict]) -> list[str]:
    """The regions of ``regions`` that no account's region list has (``Regions``: account:ListRegions, or
    ec2:DescribeRegions in the account), in their order; [] when no account's list was read (nothing to hold them
    to). A region botocore knows but ListRegions does not return (a botocore newer than the partition's list, or a
    region the organisation cannot use) is one; so is a misspelled name in a snapshot collected before names were
    checked."""
    listed: set = set()
    for doc in account_docs.values():
        if isinstance(doc, dict) and isinstance(doc.get("Regions"), list):
            listed.update(r.get("RegionName") for r in doc["Regions"] if isinstance(r, dict))
    if not listed:
        return []
    return [r for r in regions if r not in listed]


def region_lists_fault(manifest: dict, account_docs: dict[str, dict]) -> str | None:
    """The one rule for the manifest's ``regions`` and the accounts' region lists, which the collector applies to
    what it is about to write and the loader to what it reads: the regions no account's list has
    (:func:`unlisted_regions`) are exactly the manifest's ``regions_unlisted``, which the collector records (their
    cells are ``not_applicable``: no account can use them). None when the rule holds, else what breaks it."""
    regions = manifest.get("regions") or []
    declared = manifest.get(REGIONS_UNLISTED, [])
    if not isinstance(declared, list) or not all(isinstance(r, str) and r in regions for r in declared):
        return f"{REGIONS_UNLISTED} is not a list of regions of `regions`: the manifest was edited?"
    unlisted = unlisted_regions(regions, account_docs)
    missing = [r for r in unlisted if r not in declared]
    if missing:
        return (f"regions has {', '.join(missing)}, which no account's region list (account:ListRegions) has: "
                "misspelled when collected? Collect again with --regions checked")
    listed = [r for r in declared if r not in unlisted]
    if listed:
        return (f"{REGIONS_UNLISTED} names {', '.join(listed)}, which an account's region list has: the manifest "
                "and the data files disagree (edited?)")
    return None


def cross_check(reader: SnapshotReader, orgdoc: dict, account_docs: dict[str, dict], policies: dict,
                guardduty: dict | None, errors: dict | None) -> None:
    """Hold the manifest's own facts to the data files it lists; a disagreement is a :class:`SnapshotError`
    naming the manifest and the fact. Checked: ``organization_id`` and ``management_account_id`` against
    DescribeOrganization; ``regions`` (a list of distinct names) against the regions the GuardDuty reads are
    keyed by; ``counts`` (accounts, OUs, SCPs, trails, detectors) and ``error_count`` against the files; and
    that each ``accounts/ID.json`` holds account ``ID``, an account of the organisation."""
    m = reader.manifest
    mpath = reader.path / MANIFEST

    def bad(what: str) -> SnapshotError:
        return SnapshotError(mpath, f"{what}: the manifest and the data files disagree (edited?)")

    org = (orgdoc or {}).get("Organization") or {}
    for key, field in (("organization_id", "Id"), ("management_account_id", "MasterAccountId")):
        if m.get(key) is not None and org.get(field) is not None and str(m[key]) != str(org[field]):
            raise bad(f"{key} is {m[key]} but organization.json says {org[field]}")
    regions = m.get("regions")
    if regions is not None:
        if (not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions)
                or len(set(regions)) != len(regions)):
            raise bad("regions is not a list of distinct region names")
        wanted = set(regions)
        for aid, doc in account_docs.items():
            extra = sorted(set((doc.get("GuardDuty") or {})) - wanted)
            if extra:
                raise bad(f"regions lacks {', '.join(extra)}, which accounts/{aid}.json was read in")
        fault = region_lists_fault(m, account_docs)
        if fault:
            raise SnapshotError(mpath, fault)
        admins = (guardduty or {}).get("OrganizationAdminAccounts") or {}
        extra = sorted(set(admins) - wanted)
        if extra:
            raise bad(f"regions lacks {', '.join(extra)}, which guardduty.json was read in")
    members = {str(a.get("Id")) for a in (orgdoc or {}).get("Accounts") or []}
    for aid, doc in account_docs.items():
        if members and aid not in members:
            raise SnapshotError(reader.path / "accounts" / f"{aid}.json",
                                "is for an account the organisation does not list (edited?)")
    counts = m.get("counts")
    if isinstance(counts, dict):
        actual = {
            "accounts": len((orgdoc or {}).get("Accounts") or []),
            "ous": len((orgdoc or {}).get("OrganizationalUnits") or []),
            "policies": len((policies or {}).get("Policies") or []),
            "trails": sum(len(((d.get("CloudTrail") or {}).get("Trails") or {})) for d in account_docs.values()),
            "detectors": sum(len((r or {}).get("Detectors") or {}) for d in account_docs.values()
                             for r in (d.get("GuardDuty") or {}).values()),
        }
        for k, v in actual.items():
            if k in counts and counts[k] != v:
                raise bad(f"counts.{k} is {counts[k]} but the files hold {v}")
    if errors is not None and isinstance(m.get("error_count"), int):
        n = len(errors.get("Errors") or [])
        if m["error_count"] != n:
            raise bad(f"error_count is {m['error_count']} but errors.json holds {n}")
