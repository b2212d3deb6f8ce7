"""Write and read snapshot directories (see docs/snapshot.md).

A snapshot is written into a private temporary sibling directory and renamed into place only once every file and,
last, ``manifest.json`` (with the sha256 of every other file) are on disk, so a snapshot cut short never looks
complete. Reading checks the manifest, the schema version and every file's checksum, and names the file at fault.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"


class SnapshotError(Exception):
    """A snapshot that cannot be read: the message names the file and what is wrong with it."""

    def __init__(self, path: os.PathLike | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def _repr_html_(self) -> str:  # friendly in notebooks
        from html import escape

        return (
            "<div style='border-left:4px solid #c0392b;padding:4px 8px'><b>Snapshot error</b><br>"
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


class SnapshotWriter:
    """Collects files in a private temporary directory next to ``out``; :meth:`commit` makes it the snapshot.

    Use as a context manager: leaving the block with an exception removes the temporary directory and leaves any
    earlier snapshot at ``out`` untouched.
    """

    def __init__(self, out: os.PathLike | str):
        self.out = Path(out).absolute()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o077)
        try:
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.partial-", dir=self.out.parent))
        finally:
            os.umask(old)
        self._files: dict[str, str] = {}

    def write(self, relpath: str, data: Any) -> None:
        text = dumps(data).encode("utf-8")
        target = self.tmp / relpath
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
        self._files[relpath] = hashlib.sha256(text).hexdigest()

    def commit(self, manifest: dict) -> Path:
        manifest = dict(manifest)
        manifest["schema_version"] = SCHEMA_VERSION
        manifest["files"] = dict(sorted(self._files.items()))
        text = dumps(manifest).encode("utf-8")
        fd = os.open(self.tmp / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if self.out.exists():
            if not (self.out / MANIFEST).exists() and any(self.out.iterdir()):
                raise SnapshotError(self.out, "exists and is not a snapshot; refusing to replace it")
            trash = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
            os.replace(self.out, trash)
            os.replace(self.tmp, self.out)
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
        self.manifest = self._parse(mpath, mpath.read_bytes())
        if not isinstance(self.manifest, dict):
            raise SnapshotError(mpath, "is not a JSON object")
        version = self.manifest.get("schema_version")
        if not isinstance(version, int):
            raise SnapshotError(mpath, "has no integer schema_version")
        if version > SCHEMA_VERSION:
            raise SnapshotError(
                mpath, f"schema version {version} is newer than this orgkit reads ({SCHEMA_VERSION}): upgrade orgkit"
            )
        if version < 1:
            raise SnapshotError(mpath, f"unknown schema version {version}")
        files = self.manifest.get("files")
        if not isinstance(files, dict):
            raise SnapshotError(mpath, "has no 'files' table")
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
