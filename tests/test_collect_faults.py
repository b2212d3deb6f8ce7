"""The collector under faults: calls that hang (timeouts, the run's deadline), Ctrl-C, and the worker processes.

A hang is a loopback proxy in front of the local AWS that forwards every request but holds the matching ones
forever (it accepts and never answers). The tests check behaviour, and time only with generous bounds.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

import orgkit
from orgkit.aws import collect as C
from orgkit.aws.collect import CollectorFailed, collect
from orgkit.aws.session import SessionFactory

pytestmark = pytest.mark.integration
REGIONS = ["us-east-1", "eu-west-1"]


class HangingProxy:
    """Forwards requests to ``upstream``; a request for which ``hang(headers, path)`` is true is never answered."""

    def __init__(self, upstream: str, hang: Callable[[dict, str], bool]):
        m = re.match(r"http://([^:/]+):(\d+)", upstream)
        self.up = (m.group(1), int(m.group(2)))
        self.hang = hang
        self.hung = threading.Event()
        self._stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        f = conn.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers = {}
                while (h := f.readline().decode()) not in ("\r\n", ""):
                    k, _, v = h.partition(":")
                    headers[k.strip()] = v.strip()
                body = f.read(int(headers.get("Content-Length") or 0))
                if self.hang({k.lower(): v for k, v in headers.items()}, path):
                    self.hung.set()
                    self._stop.wait()  # never answers while the test runs
                    return
                up = http.client.HTTPConnection(*self.up, timeout=60)
                up.request(method, path, body=body, headers=headers)
                r = up.getresponse()
                data = r.read()
                out = [f"HTTP/1.1 {r.status} {r.reason}\r\n".encode()]
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        out.append(f"{k}: {v}\r\n".encode())
                out.append(f"Content-Length: {len(data)}\r\n\r\n".encode())
                conn.sendall(b"".join(out) + data)
                up.close()
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def _region(headers: dict) -> str | None:
    m = re.search(r"Credential=[^/]+/\d+/([^/]+)/", headers.get("authorization", ""))
    return m.group(1) if m else None


def _gd_in(region: str) -> Callable[[dict, str], bool]:
    return lambda h, path: path.startswith("/detector") and _region(h) == region


def _list_trails(h: dict, path: str) -> bool:
    return h.get("x-amz-target", "").endswith(".ListTrails")


@pytest.fixture()
def proxy(small_org):
    made = []

    def make(hang):
        p = HangingProxy(small_org[0].endpoint_url, hang)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def test_a_call_that_times_out_is_recorded_and_its_cells_are_unknown(small_org, proxy, tmp_path):
    aws, ids = small_org
    p = proxy(_gd_in("eu-west-1"))
    factory = SessionFactory(endpoint_url=p.url, call_timeout=1, max_attempts=2)
    t = time.monotonic()
    org = orgkit.load(collect(tmp_path / "snap", factory=factory, regions=REGIONS, progress=False))
    assert time.monotonic() - t < 120 and p.hung.is_set()
    from orgkit.coverage.guardduty import guardduty_coverage

    gd = guardduty_coverage(org)
    eu = gd[gd.region == "eu-west-1"]
    assert set(eu.status) <= {"unknown", "not_applicable"} and "unknown" in set(eu.status)
    reachable = eu[eu.account_id != ids["norole"]]  # (no role to assume: unknown for that reason)
    assert (reachable.reason.str.contains("ReadTimeout")).all()
    timeouts = org.errors[org.errors.error_code == "ReadTimeoutError"]
    assert not timeouts.empty and set(timeouts.region) == {"eu-west-1"}
    assert timeouts.operation.notna().all()  # the call that hung is named
    us = gd[gd.region == "us-east-1"]
    assert "unknown" not in set(us.status)  # the rest of the run went on


def test_the_deadline_stops_new_calls_and_their_cells_are_unknown(small_org, proxy, tmp_path):
    aws, ids = small_org
    p = proxy(_list_trails)  # every account's ListTrails hangs past the deadline
    factory = SessionFactory(endpoint_url=p.url, call_timeout=8, max_attempts=1)
    t = time.monotonic()
    org = orgkit.load(collect(tmp_path / "snap", factory=factory, regions=REGIONS, progress=False, deadline=4))
    assert time.monotonic() - t < 120
    from orgkit.coverage.cloudtrail import cloudtrail_coverage
    from orgkit.coverage.guardduty import guardduty_coverage

    codes = set(org.errors.error_code)
    assert "DeadlineExceeded" in codes  # (and ReadTimeoutError for the ListTrails that were sent in time)
    late = org.errors[org.errors.error_code == "DeadlineExceeded"]
    assert late.operation.notna().all() and "deadline" in late.message.iloc[0]
    gd = guardduty_coverage(org)
    # every cell is there; the ones the deadline cut are unknown (with the error), never none; a member the
    # administrator's list vouches for keeps that status, and its reason names the read that was cut
    assert len(gd) == len(org.accounts) * len(REGIONS)
    gd_late = late[late.service == "guardduty"]  # (a cut CloudTrail Lake read says nothing about GuardDuty)
    cut = set(zip(gd_late.account_id, gd_late.region))
    for row in gd.itertuples():
        if (row.account_id, row.region) in cut:
            assert row.status == "unknown" or ("DeadlineExceeded" in row.reason and row.status != "none")
    ct = cloudtrail_coverage(org)  # every ListTrails timed out: nothing is known of any trail
    assert set(ct.status) <= {"unknown", "not_applicable"} and "unknown" in set(ct.status)


def test_ctrl_c_stops_promptly_while_a_call_hangs_and_keeps_the_previous_snapshot(small_org, proxy, tmp_path):
    aws, ids = small_org
    out = tmp_path / "snap"
    collect(out, endpoint_url=aws.endpoint_url, regions=REGIONS, progress=False)
    before = (out / "manifest.json").read_bytes()
    p = proxy(_gd_in("eu-west-1"))
    proc = subprocess.Popen([sys.executable, "-m", "orgkit.cli", "collect", "--out", str(out), "--endpoint-url", p.url,
                             "--regions", ",".join(REGIONS), "--call-timeout", "300", "--deadline", "600", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.hung.wait(120), "the collector never reached the hanging call"
        time.sleep(0.5)
        t = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(30)  # promptly: not after the 300 s call timeout
        assert time.monotonic() - t < 30
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert (out / "manifest.json").read_bytes() == before  # the previous snapshot is intact
    orgkit.load(out)
    leftovers = [d for d in tmp_path.iterdir() if d.name != "snap"]
    assert not any((d / "manifest.json").exists() for d in leftovers)  # nothing half-written looks complete


def _normalised(snap: Path) -> dict:
    out = {}
    for f in sorted(snap.rglob("*.json")):
        doc = json.loads(re.sub(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})?", "<t>", f.read_text()))
        if f.name == "manifest.json":
            doc = {k: v for k, v in doc.items() if k not in ("duration_seconds", "files", "manifest_sha256")}
        out[str(f.relative_to(snap))] = doc
    return out


def test_worker_processes_collect_the_same_snapshot(small_org, tmp_path):
    aws, ids = small_org
    one = collect(tmp_path / "one", endpoint_url=aws.endpoint_url, regions=REGIONS, progress=False, processes=1)
    two = collect(tmp_path / "two", endpoint_url=aws.endpoint_url, regions=REGIONS, progress=False, processes=2)
    assert _normalised(one) == _normalised(two)


def test_the_read_only_guard_holds_in_worker_processes(small_org, tmp_path, monkeypatch):
    aws, ids = small_org

    parent, original = os.getpid(), C.S.get_detector_ids

    def write_instead(gd):  # a bug in a worker process that writes: the guard refuses it before it is signed
        if os.getpid() == parent:
            return original(gd)
        gd.create_detector(Enable=True)

    monkeypatch.setattr(C.S, "get_detector_ids", write_instead)
    aws.clear_calls()
    with pytest.raises(CollectorFailed, match="WriteRefused"):
        collect(tmp_path / "snap", endpoint_url=aws.endpoint_url, regions=REGIONS, progress=False, processes=2)
    assert not any(c.get("operation") in ("CreateDetector", "create_detector") for c in aws.calls())
    assert not (tmp_path / "snap").exists()


def test_collect_refuses_an_unknown_region_before_any_call(tmp_path):
    """The Python API checks region names like the CLI does: nothing is called (the endpoint refuses connections,
    so a call would fail differently) and nothing is written."""
    from orgkit.aws.regions import UnknownRegion

    with pytest.raises(UnknownRegion, match="us-east1"):
        collect(tmp_path / "snap", endpoint_url="http://127.0.0.1:9", regions=["us-east1"], progress=False)
    assert not (tmp_path / "snap").exists()


def test_a_labelled_progress_bar_says_which_collection_it_is():
    """Issue 19: the demo collects twice; its second bar ("some time later") must not read like the first."""
    import io

    from orgkit.aws.collect import _Progress

    lines = []
    for label in ("snapshot", "snapshot-later"):
        stream = io.StringIO()
        p = _Progress(True, stream=stream, label=label)
        p.start("accounts", 2)
        p.step(10, 0, 2)
        lines.append(stream.getvalue().splitlines()[-1])
    assert lines[0].startswith("snapshot: accounts") and lines[1].startswith("snapshot-later: accounts")
    assert "2/2" in lines[1]
