"""orgkit.aws.http, the lean HTTP session of the read-only clients, against a scripted loopback server."""

from __future__ import annotations

import socket
import threading

import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from orgkit.aws.http import LeanSession, usable


class Scripted:
    """Accepts connections; answers the n-th request with ``answers[n]`` (raw bytes; None: never answer)."""

    def __init__(self, answers, close_after=False):
        self.answers = list(answers)
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        f = conn.makefile("rb")
        while self.answers:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = f.readline()
                if not line:
                    conn.close()
                    return
                head += line
            n = next((int(ln.split(b":")[1]) for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")), 0)
            self.requests.append(head + f.read(n))
            answer = self.answers.pop(0)
            if answer is None:
                self.stop.wait()
                return
            conn.sendall(answer)
            if self.close_after:
                conn.close()
                return
        conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


def _req(url, body=b'{"a": 1}'):
    return AWSRequest(method="POST", url=url + "/x?y=1", data=body, headers={"X-Amz-Target": "T.Op"}).prepare()


OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\": 1}\r\n"
CHUNKED = (b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\nx-amzn-RequestId: r1\r\n\r\n"
           b"5\r\n{\"a\":\r\n4\r\n 2}\n\r\n0\r\n\r\n")


def test_keep_alive_reuses_one_connection_and_sends_the_request_as_signed():
    srv = Scripted([OK, OK])
    s = LeanSession(2, 2)
    try:
        for _ in range(2):
            r = s.send(_req(srv.url))
            assert r.status_code == 200 and r.content == b'{"ok": 1}\r\n'
            assert r.headers["content-type"] == "application/json"  # case-insensitive, as botocore expects
        assert srv.connections == 1
        first = srv.requests[0]
        assert first.startswith(b"POST /x?y=1 HTTP/1.1\r\n") and b"X-Amz-Target: T.Op" in first
        assert first.endswith(b'{"a": 1}') and b"Content-Length: 8" in first
    finally:
        srv.close()


def test_chunked_answers_and_error_statuses_are_read_whole():
    srv = Scripted([CHUNKED])
    try:
        r = LeanSession(2, 2).send(_req(srv.url))
        assert r.status_code == 400 and r.content == b'{"a": 2}\n' and r.headers["x-amzn-requestid"] == "r1"
    finally:
        srv.close()


def test_a_keep_alive_connection_closed_by_the_server_is_replaced():
    srv = Scripted([OK, OK], close_after=True)  # closes after each answer, without saying Connection: close
    s = LeanSession(2, 2)
    try:
        assert s.send(_req(srv.url)).status_code == 200
        assert s.send(_req(srv.url)).status_code == 200  # the stale one failed before any answer: retried once
        assert srv.connections == 2
    finally:
        srv.close()


def test_failures_are_botocores_exceptions():
    srv = Scripted([None])
    try:
        with pytest.raises(ReadTimeoutError):
            LeanSession(2, 0.5).send(_req(srv.url))
    finally:
        srv.close()
    srv = Scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"], close_after=True)
    try:
        with pytest.raises(ConnectionClosedError):
            LeanSession(2, 2).send(_req(srv.url))
    finally:
        srv.close()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there
    with pytest.raises(EndpointConnectionError):
        LeanSession(2, 2).send(_req(f"http://127.0.0.1:{port}"))


def test_used_only_where_it_behaves_as_urllib3(monkeypatch):
    import botocore.config

    for v in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(v, raising=False)
    assert usable(botocore.config.Config())
    assert not usable(botocore.config.Config(proxies={"https": "http://proxy:3128"}))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    assert not usable(botocore.config.Config())


def test_read_only_clients_send_through_it_keeping_botocores_certificate_choice(monkeypatch, tmp_path):
    from orgkit.aws.session import SessionFactory

    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    for v in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(v, raising=False)
    ro = SessionFactory(endpoint_url="http://127.0.0.1:9").caller_client("sts")
    assert isinstance(ro._endpoint.http_session, LeanSession) and ro._endpoint.http_session.verify == str(bundle)
    rw = SessionFactory(endpoint_url="http://127.0.0.1:9", allow_writes=True).caller_client("sts")
    assert not isinstance(rw._endpoint.http_session, LeanSession)  # the writer keeps botocore's own session


def test_tls_is_verified_against_botocores_choice_of_bundle(tmp_path):
    import shutil
    import ssl

    from botocore.exceptions import SSLError

    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a certificate")
    import subprocess

    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            try:
                s = ctx.wrap_socket(c, server_side=True)
                f = s.makefile("rb")
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    head += f.readline()
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                s.close()
            except (OSError, ssl.SSLError):
                c.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        r = LeanSession(5, 5, verify=str(cert)).send(_req(f"https://localhost:{port}"))
        assert r.status_code == 200 and r.content == b"ok"
        with pytest.raises(SSLError):  # botocore's own bundle does not know this certificate's issuer
            LeanSession(5, 5, verify=True).send(_req(f"https://localhost:{port}"))
    finally:
        srv.close()
