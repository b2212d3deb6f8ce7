"""A lean HTTP/1.1 session for botocore's read-only clients: about 40% less CPU per call than urllib3.

botocore sends each request through urllib3 and ``http.client`` (header objects built with the ``email`` package,
a pool manager keyed per URL, retries objects...): about half of the 1.5-2 ms of CPU a call costs here (profiled,
see BENCHMARKS.md). A read-only collector makes tens of thousands of small JSON requests to a few hosts, so this
session does only what those need: one keep-alive connection pool per (scheme, host, port), TLS with certificate
and host name verification (the default CA bundle of botocore, as urllib3 would use), responses with a
Content-Length, chunked or ended by the connection's close, and botocore's own exceptions for failures (so that
retries, timeouts and the collector's error records are the same as with urllib3).

It is used only where it can behave as urllib3 would: no proxy (configured or in the environment) and no client
certificate; certificates are verified as botocore decided (its CA bundle, or the one ``AWS_CA_BUNDLE`` /
``REQUESTS_CA_BUNDLE`` names, or not at all with ``verify=False``). Otherwise botocore's own session stays in place. The request was
signed before it reaches ``send``: the read-only guard (a ``before-call`` hook) has already run.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

import botocore.awsrequest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def usable(config: Any) -> bool:
    """Whether the lean session can stand in for urllib3 under this client configuration and environment."""
    if getattr(config, "proxies", None) or getattr(config, "client_cert", None):
        return False
    return not any(os.environ.get(v) for v in _PROXY_VARS)


class _Body:
    """The response body, already read (what AWSResponse.content consumes)."""

    def __init__(self, data: bytes):
        self._data = data

    def stream(self, *args: Any, **kwargs: Any):
        yield self._data

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        data, self._data = self._data, b""
        return data

    def close(self) -> None:
        pass


class _Stale(Exception):
    """A reused keep-alive connection turned out closed before any answer: try once on a new one."""


class LeanSession:
    """botocore ``http_session`` interface: ``send(AWSPreparedRequest) -> AWSResponse`` and ``close()``."""

    def __init__(self, connect_timeout: float, read_timeout: float, max_pool: int = 10, verify: bool | str = True):
        self.verify = verify  # botocore's value: True (its CA bundle), a CA bundle path (AWS_CA_BUNDLE...), False
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_pool = max(1, max_pool)
        self._idle: dict[tuple[str, str, int], list[tuple[socket.socket, Any]]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            from botocore.httpsession import get_cert_path

            if self.verify is False:  # as botocore does with verify=False: no verification
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            else:
                ctx = ssl.create_default_context(cafile=get_cert_path(self.verify))
                ctx.check_hostname = True
                ctx.verify_mode = ssl.CERT_REQUIRED
            self._tls = ctx
        return self._tls

    def _connect(self, scheme: str, host: str, port: int, url: str) -> tuple[socket.socket, Any]:
        try:
            sock = socket.create_connection((host, port), timeout=self.connect_timeout)
        except socket.timeout as e:
            raise ConnectTimeoutError(endpoint_url=url, error=e) from e
        except OSError as e:
            raise EndpointConnectionError(endpoint_url=url, error=e) from e
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = self._context().wrap_socket(sock, server_hostname=host)
        except ssl.SSLError as e:
            sock.close()
            raise SSLError(endpoint_url=url, error=e) from e
        except socket.timeout as e:
            sock.close()
            raise ConnectTimeoutError(endpoint_url=url, error=e) from e
        sock.settimeout(self.read_timeout)
        return sock, sock.makefile("rb")

    def send(self, request: Any) -> botocore.awsrequest.AWSResponse:
        u = urlsplit(request.url)
        scheme = u.scheme.lower()
        host = u.hostname or ""
        port = u.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        target = (u.path or "/") + (f"?{u.query}" if u.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif hasattr(body, "read"):
            body = body.read()
        lines = [f"{request.method} {target} HTTP/1.1"]
        if "host" not in {k.lower() for k in request.headers}:
            lines.append(f"Host: {u.netloc}")
        for k, v in request.headers.items():
            lines.append(f"{k}: {v.decode('latin-1') if isinstance(v, bytes) else v}")
        if body or request.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + bytes(body)
        with self._lock:
            idle = self._idle.get(key)
            conn = idle.pop() if idle else None
        if conn is not None:
            try:
                return self._exchange(conn, key, data, request, reused=True)
            except _Stale:
                pass
        return self._exchange(self._connect(scheme, host, port, request.url), key, data, request, reused=False)

    def _exchange(self, conn: tuple[socket.socket, Any], key: tuple, data: bytes, request: Any,
                  reused: bool) -> botocore.awsrequest.AWSResponse:
        sock, f = conn
        url = request.url
        got_any = False
        try:
            sock.sendall(data)
            status = f.readline(65537)
            if not status:
                raise ConnectionResetError("the connection closed before an answer")
            got_any = True
            parts = status.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
                raise ConnectionResetError(f"not an HTTP answer: {status[:60]!r}")
            code = int(parts[1])
            headers: dict[str, str] = {}
            while True:
                ln = f.readline(65537)
                if ln in (b"\r\n", b"\n", b""):
                    break
                k, _, v = ln.decode("latin-1").partition(":")
                k, v = k.strip(), v.strip()
                headers[k] = f"{headers[k]}, {v}" if k in headers else v
            low = {k.lower(): v for k, v in headers.items()}
            keep = low.get("connection", "").lower() != "close" and not parts[0].startswith(b"HTTP/1.0")
            if request.method == "HEAD" or code in (204, 304) or 100 <= code < 200:
                content = b""
            elif "chunked" in low.get("transfer-encoding", "").lower():
                content = self._chunked(f)
            elif "content-length" in low:
                n = int(low["content-length"])
                content = f.read(n) if n else b""
                if len(content) != n:
                    raise ConnectionResetError("the connection closed in the middle of an answer")
            else:
                content, keep = f.read(), False
        except socket.timeout as e:
            sock.close()
            raise ReadTimeoutError(endpoint_url=url, error=e) from e
        except ssl.SSLError as e:
            sock.close()
            raise SSLError(endpoint_url=url, error=e) from e
        except (OSError, ValueError) as e:
            sock.close()
            if reused and not got_any:
                raise _Stale() from e
            raise ConnectionClosedError(endpoint_url=url, request=request, error=e) from e
        if keep:
            with self._lock:
                pool = self._idle.setdefault(key, [])
                if len(pool) < self.max_pool:
                    pool.append(conn)
                    conn = None
        if conn is not None:
            sock.close()
        response = botocore.awsrequest.AWSResponse(url, code, headers, _Body(content))
        response.content  # noqa: B018  (read now, as botocore's session does for non-streaming answers)
        return response

    @staticmethod
    def _chunked(f: Any) -> bytes:
        out = []
        while True:
            size_line = f.readline(65537)
            if not size_line:
                raise ConnectionResetError("the connection closed in the middle of a chunked answer")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while f.readline(65537) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(out)
            chunk = f.read(size)
            if len(chunk) != size:
                raise ConnectionResetError("the connection closed in the middle of a chunked answer")
            out.append(chunk)
            f.readline(65537)

    def close(self) -> None:
        with self._lock:
            pools, self._idle = self._idle, {}
        for conns in pools.values():
            for sock, _ in conns:
                try:
                    sock.close()
                except OSError:
                    pass

    def forget(self) -> None:
        """After a fork: drop (without closing) the parent's idle connections."""
        with self._lock:
            self._idle = {}
        self._lock = threading.Lock()
