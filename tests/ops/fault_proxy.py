"""A fault-injecting HTTP proxy on 127.0.0.1 in front of moto's server.

Each request is forwarded to moto unless a fault planned for its operation (the X-Amz-Target
header of JSON-protocol services such as SageMaker, e.g. "SageMaker.UpdateModelPackage") says
otherwise:
- `throttle`: answer 400 ThrottlingException without forwarding (not applied);
- `unavailable`: answer 503 ServiceUnavailable without forwarding (not applied);
- `error_after`: forward (moto applies it), then answer 500 InternalFailure;
- `drop_after`: forward, then close the connection without an answer (applied, answer lost);
- `kill_after`: forward, then stop listening: the endpoint is gone until `start()` again.
"""

import http.client
import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("throttle", "unavailable", "error_after", "drop_after", "kill_after")
_ERRORS = {
    "throttle": (400, "ThrottlingException"),
    "unavailable": (503, "ServiceUnavailable"),
    "error_after": (500, "InternalFailure"),
}


@dataclass
class Fault:
    """`kind` for the next `times` requests of `operation`."""

    operation: str
    kind: str
    times: int


class FaultProxy:
    """The proxy; `endpoint` is its URL, `seen` counts requests per operation."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults: list[Fault] = []
        self.seen: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.dead = False
        self._killer: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def plan(self, operation: str, kind: str, times: int = 1) -> None:
        """Inject `kind` into the next `times` requests of `operation` ("SageMaker.X")."""
        assert kind in FAULTS, kind
        self.faults.append(Fault(operation, kind, times))

    def _take(self, operation: str) -> str | None:
        with self._lock:
            self.seen[operation] += 1
            for fault in self.faults:
                if fault.operation == operation and fault.times > 0:
                    fault.times -= 1
                    self.injected[fault.kind] += 1
                    return fault.kind
        return None

    def start(self) -> None:
        """Listen on 127.0.0.1 (the same port again after a kill); nothing if listening."""
        proxy = self
        if self._server is not None and not self.dead:
            return
        if self._killer is not None:
            self._killer.join()
            self._killer = None
        self.dead = False

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.dead:  # a kept-alive connection to a killed endpoint
                    self._hang_up()
                    return
                operation = self.headers.get("X-Amz-Target") or f"{self.command} {self.path}"
                fault = proxy._take(operation)
                if fault in ("throttle", "unavailable"):
                    self._error(fault)
                    return
                status, headers, answer = proxy._forward(self.command, self.path, self.headers, body)
                if fault == "error_after":
                    self._error(fault)
                elif fault in ("drop_after", "kill_after"):
                    if fault == "kill_after":
                        proxy.dead = True
                        proxy._killer = threading.Thread(target=proxy.kill)
                        proxy._killer.start()
                    self._hang_up()
                else:
                    self.send_response(status)
                    for name, value in headers:
                        if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)

            def _hang_up(self) -> None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def _error(self, fault: str) -> None:
                status, code = _ERRORS[fault]
                answer = json.dumps({"__type": code, "message": f"injected {code}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "injected")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _forward(self, method: str, path: str, headers, body: bytes):
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=dict(headers.items()))
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def kill(self) -> None:
        """Stop listening: connections are refused from now on."""
        self.dead = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
