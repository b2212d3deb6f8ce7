"""Run moto, extended by :func:`orgkit.localaws.install`, as an HTTP server on loopback.

    python -m orgkit.localaws.server --port 0        # prints "ORGKIT_LOCALAWS_PORT=<n>" once listening

or from Python::

    with LocalAWS() as aws:                            # a subprocess (uses another core); thread=True: in-process
        s3 = boto3.client("s3", endpoint_url=aws.endpoint_url, **aws.credentials())

Besides every moto route (``/moto-api/...`` included) the server answers:

* ``GET /orgkit-local/health``
* ``POST /orgkit-local/reset`` (moto state, faults and call log), ``POST /orgkit-local/seed?a=N``
* ``POST /orgkit-local/faults`` (a rule object or a list), ``GET`` lists them, ``DELETE`` clears them
* ``GET /orgkit-local/calls`` (list of {account_id, region, service, operation}), ``DELETE`` clears it
* ``GET|POST /orgkit-local/options`` ({"strict_assume_role": bool, "record_calls": bool,
  "access_data_frozen": bool})
* ``POST /orgkit-local/organizations/joined`` ({"account_id": ..., "joined": ISO time}): when a member account
  joined its organization (``JoinedTimestamp``), so a scenario can model accounts older than a report's window
* ``POST /orgkit-local/cloudtrail/delivery-error`` ({"trail_arn": ..., "error": "AccessDenied" | null}): the
  trail's S3 deliveries fail (GetTrailStatus ``LatestDeliveryError``) or succeed again; ``GET`` lists the failing
  trails

It only ever binds to a loopback address.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from . import state
from .ext import install

PREFIX = "/orgkit-local/"
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _check_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(f"orgkit.localaws only listens on loopback, not {host!r}")


def _moto_reset() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def _json_response(start_response: Any, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class LocalAPIMiddleware:
    """Answers ``/orgkit-local/*``; passes everything else to moto's dispatcher."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        what = path[len(PREFIX):].strip("/")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
            return self._handle(method, what, body, environ, start_response)
        except (ValueError, TypeError) as exc:
            return _json_response(start_response, 400, {"error": str(exc)})

    def _handle(self, method: str, what: str, body: Any, environ: dict[str, Any], start_response: Any) -> Any:
        if what == "health":
            return _json_response(start_response, 200, {"ok": True, "pid": os.getpid()})
        if what == "reset" and method == "POST":
            _moto_reset()
            state.reset_local_state()
            return _json_response(start_response, 200, {"reset": True})
        if what == "seed" and method == "POST":
            from urllib.parse import parse_qs

            from moto.moto_api._internal import mock_random

            a = parse_qs(environ.get("QUERY_STRING", "")).get("a", [None])[0]
            if a is None and isinstance(body, dict):
                a = body.get("a")
            mock_random.seed(int(a))  # type: ignore[arg-type]
            return _json_response(start_response, 200, {"seed": int(a)})  # type: ignore[arg-type]
        if what == "faults":
            if method == "POST":
                rules = body if isinstance(body, list) else [body]
                if not all(isinstance(r, dict) for r in rules):
                    raise ValueError("a fault rule is a JSON object")
                return _json_response(start_response, 200, {"ids": [state.add_fault_dict(r) for r in rules]})
            if method == "DELETE":
                state.clear_faults()
                return _json_response(start_response, 200, {"cleared": True})
            return _json_response(start_response, 200, state.list_faults())
        if what == "calls":
            if method == "DELETE":
                state.clear_calls()
                return _json_response(start_response, 200, {"cleared": True})
            return _json_response(start_response, 200, state.calls())
        if what == "cloudtrail/delivery-error":
            from moto.cloudtrail.exceptions import TrailNotFoundException

            from .cloudtrail import delivery_errors, set_delivery_error

            if method == "POST":
                if not isinstance(body, dict) or set(body) - {"trail_arn", "error"} or "trail_arn" not in body:
                    raise ValueError('a delivery error is {"trail_arn": "...", "error": "AccessDenied" | null}')
                try:
                    return _json_response(start_response, 200,
                                          _jsonable(set_delivery_error(body["trail_arn"], body.get("error"))))
                except TrailNotFoundException:
                    return _json_response(start_response, 404, {"error": f"no such trail: {body['trail_arn']}"})
            return _json_response(start_response, 200, delivery_errors())
        if what == "organizations/joined" and method == "POST":
            from datetime import datetime

            from .common import set_joined

            if not isinstance(body, dict) or set(body) != {"account_id", "joined"}:
                raise ValueError('a join time is {"account_id": "...", "joined": "2025-01-01T00:00:00+00:00"}')
            try:
                return _json_response(start_response, 200,
                                      set_joined(body["account_id"], datetime.fromisoformat(body["joined"])))
            except KeyError:
                return _json_response(start_response, 404, {"error": f"no such member account: {body['account_id']}"})
        if what == "options":
            if method == "POST":
                if not isinstance(body, dict):
                    raise ValueError("options is a JSON object")
                return _json_response(start_response, 200, state.set_options(**body))
            return _json_response(start_response, 200, state.get_options())
        return _json_response(start_response, 404, {"error": f"no such endpoint: {what}"})


def _jsonable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in doc.items()}


def make_app() -> Any:
    install()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return LocalAPIMiddleware(DomainDispatcherApplication(create_backend_app))


def make_wsgi_server(host: str = "127.0.0.1", port: int = 0, log_requests: bool = False) -> Any:
    import logging

    from werkzeug.serving import make_server

    if not log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    return make_server(_check_loopback(host), port, make_app(), threaded=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto server extended by orgkit.localaws (loopback only)")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="0 picks a free port (printed on stdout)")
    parser.add_argument("--strict-assume-role", action="store_true",
                        help="AssumeRole fails with AccessDenied when the role does not exist")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="exit when the process that started this one is gone (used by LocalAWS)")
    parser.add_argument("--log-requests", action="store_true", help="log every request on stderr (werkzeug)")
    args = parser.parse_args(argv)
    if args.strict_assume_role or os.environ.get("ORGKIT_LOCALAWS_STRICT_ASSUME_ROLE") == "1":
        state.set_options(strict_assume_role=True)
    server = make_wsgi_server(args.host, args.port, log_requests=args.log_requests)
    if args.exit_with_parent:
        _exit_with_parent()
    print(f"ORGKIT_LOCALAWS_PORT={server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def _exit_with_parent() -> None:
    """A LocalAWS child must not outlive its parent (a killed test run): poll the parent, exit when it changes."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="orgkit-localaws-parent-watch", daemon=True).start()


class LocalAWSError(RuntimeError):
    pass


class LocalAWS:
    """A moto server with the orgkit extension on 127.0.0.1, as a context manager.

    ``thread=False`` (default) runs ``python -m orgkit.localaws.server`` in a subprocess (moto is CPU-bound;
    a separate process uses another core); ``thread=True`` serves from a thread of this process.
    """

    def __init__(self, *, thread: bool = False, port: int = 0, strict_assume_role: bool = False,
                 seed: int | None = None, startup_timeout: float = 30.0):
        self.thread = thread
        self.port = port
        self.strict_assume_role = strict_assume_role
        self._seed = seed
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stderr: Any = None
        self.endpoint_url = ""

    # lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> LocalAWS:
        if self.thread:
            self._server = make_wsgi_server("127.0.0.1", self.port)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, name="orgkit-localaws", daemon=True)
            self._thread.start()
        else:
            env = {k: v for k, v in os.environ.items() if k not in ("MOTO_ACCOUNT_ID", "AWS_ENDPOINT_URL")}
            self._stderr = tempfile.TemporaryFile(mode="w+")
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "orgkit.localaws.server", "--host", "127.0.0.1", "--port", str(self.port),
                 "--exit-with-parent"],
                stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env,
            )
            self.port = self._read_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._wait_ready()
        if self.strict_assume_role:
            self.set_options(strict_assume_role=True)
        if self._seed is not None:
            self.seed(self._seed)
        return self

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        found: list[int] = []
        ready = threading.Event()
        stdout = self._proc.stdout

        def reader() -> None:
            # Keeps draining stdout after the port line, so a chatty child never blocks on a full pipe.
            for line in stdout:
                if not found and line.startswith("ORGKIT_LOCALAWS_PORT="):
                    found.append(int(line.strip().split("=", 1)[1]))
                    ready.set()
            stdout.close()
            ready.set()

        threading.Thread(target=reader, name="orgkit-localaws-stdout", daemon=True).start()
        ready.wait(self.startup_timeout)
        if not found:
            err = self._stderr_text()
            self.stop()
            raise LocalAWSError(f"orgkit.localaws.server did not report its port in time:\n{err}")
        return found[0]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise LocalAWSError(f"orgkit.localaws.server exited with code {self._proc.returncode}:\n"
                                    f"{self._stderr_text()}")
            try:
                self._request("GET", "health")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        self.stop()
        raise LocalAWSError("orgkit.localaws.server did not answer in time")

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()[-4000:]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(5)
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> LocalAWS:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # control API ---------------------------------------------------------------------------------------

    def _request(self, method: str, what: str, payload: Any = None, query: str = "") -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        url = f"{self.endpoint_url}{PREFIX}{what}" + (f"?{query}" if query else "")
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise LocalAWSError(f"{method} {what}: HTTP {exc.code}: {exc.read().decode(errors='replace')}") from exc

    def reset(self) -> None:
        """Forget all AWS state, injected faults and the call log (options stay)."""
        self._request("POST", "reset")

    def seed(self, n: int) -> None:
        """Make moto's ids (account ids, detector ids, ...) deterministic from here on."""
        self._request("POST", "seed", query=f"a={int(n)}")

    def add_fault(self, error_code: str, *, http_status: int = 400, message: str = "Injected fault",
                  account_id: str | None = None, region: str | None = None, service: str | None = None,
                  operation: str | None = None, count: int | None = None) -> int:
        rule = {"error_code": error_code, "http_status": http_status, "message": message, "account_id": account_id,
                "region": region, "service": service, "operation": operation, "count": count}
        return int(self._request("POST", "faults", rule)["ids"][0])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "faults"))

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    def calls(self) -> list[dict[str, str]]:
        return list(self._request("GET", "calls"))

    def clear_calls(self) -> None:
        self._request("DELETE", "calls")

    def set_options(self, **options: bool) -> dict[str, Any]:
        return dict(self._request("POST", "options", options))

    def set_delivery_error(self, trail_arn: str, error: str | None) -> dict[str, Any]:
        """Make a trail's S3 deliveries fail with ``error`` (GetTrailStatus ``LatestDeliveryError``), or succeed
        again with ``None``; returns the trail's status after the change."""
        return dict(self._request("POST", "cloudtrail/delivery-error", {"trail_arn": trail_arn, "error": error}))

    def delivery_errors(self) -> dict[str, str]:
        """The trails whose deliveries fail: ARN -> error."""
        return dict(self._request("GET", "cloudtrail/delivery-error"))

    # client helpers ------------------------------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        """Dummy credentials (never real AWS): ``boto3.client(..., **aws.credentials())``."""
        return dict(DUMMY_CREDENTIALS)

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 at this server with dummy credentials."""
        return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint_url}

    def client(self, service: str, region: str = "us-east-1", account_id: str | None = None,
               role_name: str = "OrganizationAccountAccessRole", **kwargs: Any) -> Any:
        """A boto3 client on this server; with ``account_id``, acting as that account (via sts:AssumeRole)."""
        import boto3

        creds = self.credentials()
        if account_id is not None:
            sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.endpoint_url, **creds)
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}",
                                RoleSessionName="orgkit-localaws")["Credentials"]
            creds = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                     "aws_session_token": c["SessionToken"]}
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint_url, **creds, **kwargs)


if __name__ == "__main__":
    main()
