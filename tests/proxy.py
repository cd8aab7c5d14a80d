"""Proxies on loopback ports, for the proxy tests, each counting what passed through.

``LoopbackProxy`` is an HTTP proxy: it forwards absolute-URI requests (what a client sends to an
http:// URL through HTTP_PROXY) and tunnels ``CONNECT host:port`` (what it sends for an https://
URL through HTTPS_PROXY: the proxy then sees only encrypted bytes). ``LoopbackSocks`` is a
SOCKS5 proxy (RFC 1928; a user name and password if asked, RFC 1929), for
ALL_PROXY=socks5://."""

from __future__ import annotations

import base64
import http.client
import socket
import socketserver
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te"}


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_CONNECT(self) -> None:
        if not self._authorised():
            return
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=30)
        except OSError:
            self.send_error(502)
            return
        self.server.seen.append(f"CONNECT {self.path}")
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        relay(self.connection, upstream)

    def _authorised(self) -> bool:
        if self.server.password and self.headers.get("Proxy-Authorization") != self.server.password:
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def _forward(self) -> None:
        if not self._authorised():
            return
        target = urlsplit(self.path)
        self.server.seen.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request(self.command, path, body=body, headers=headers)
        answer = upstream.getresponse()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while piece := answer.read1(65536):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        upstream.close()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[str]
    password: str | None  # the Proxy-Authorization header it wants, if any


class _Loopback:
    """A proxy on a free loopback port, serving on a thread for the length of a ``with``."""

    scheme: str
    _server: _ProxyServer | _SocksServer

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.login = (user, password) if user is not None and password is not None else None

    def _make(self) -> _ProxyServer | _SocksServer:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._server = self._make()
        self._server.seen = []
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def seen(self) -> list[str]:
        """What passed: absolute URLs forwarded, ``CONNECT host:port`` tunnels, SOCKS targets."""
        return self._server.seen


class LoopbackProxy(_Loopback):
    scheme = "http"

    def _make(self) -> _ProxyServer:
        server = _ProxyServer(("127.0.0.1", 0), _Forward)
        server.password = None
        if self.login:
            server.password = f"Basic {base64.b64encode(':'.join(self.login).encode()).decode()}"
        return server


def relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until both sides have finished sending."""

    def copy(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    back = threading.Thread(target=copy, args=(upstream, client), daemon=True)
    back.start()
    copy(client, upstream)
    back.join(timeout=30)
    upstream.close()


def _read(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        piece = sock.recv(count - len(data))
        if not piece:
            raise ConnectionError("the client went away mid-handshake")
        data += piece
    return data


def _reply(sock: socket.socket, code: int) -> None:
    """A SOCKS5 reply (0 success, 5 refused, 7 command not supported), bound to 0.0.0.0:0."""
    sock.sendall(bytes([5, code, 0, 1]) + bytes(6))


class _Socks5(socketserver.BaseRequestHandler):
    server: _SocksServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        version, count = _read(sock, 2)
        method = 2 if self.server.login else 0  # user name and password (RFC 1929), or none
        if version != 5 or method not in _read(sock, count):
            sock.sendall(b"\x05\xff")  # no acceptable method
            return
        sock.sendall(bytes([5, method]))
        if method == 2:
            _, length = _read(sock, 2)
            user = _read(sock, length).decode()
            password = _read(sock, _read(sock, 1)[0]).decode()
            accepted = (user, password) == self.server.login
            sock.sendall(b"\x01\x00" if accepted else b"\x01\x01")
            if not accepted:
                return
        _, command, _, kind = _read(sock, 4)
        if kind == 1:
            host = socket.inet_ntoa(_read(sock, 4))
        elif kind == 3:
            host = _read(sock, _read(sock, 1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, _read(sock, 16))
        (port,) = struct.unpack("!H", _read(sock, 2))
        if command != 1:  # only CONNECT
            _reply(sock, 7)
            return
        try:
            upstream = socket.create_connection((host, port), timeout=30)
        except OSError:
            _reply(sock, 5)
            return
        self.server.seen.append(f"{host}:{port}")
        _reply(sock, 0)
        relay(sock, upstream)


class _SocksServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    seen: list[str]
    login: tuple[str, str] | None  # the user name and password it wants, if any


class LoopbackSocks(_Loopback):
    scheme = "socks5"

    def _make(self) -> _SocksServer:
        server = _SocksServer(("127.0.0.1", 0), _Socks5)
        server.login = self.login
        return server
