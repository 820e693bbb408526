"""Local alert receivers on 127.0.0.1: a webhook HTTP server and an SMTP server (aiosmtpd)."""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Webhook:
    """Records JSON POSTs; answers with the next status of `statuses` (then 200)."""

    def __init__(self, statuses: list[int] | None = None, path: str = "/hooks/T000/SECRET-TOKEN-42",
                 port: int = 0):
        self.statuses = list(statuses or [])
        self.received: list[dict] = []
        self.attempts = 0
        self.path = path
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                outer.attempts += 1
                status = outer.statuses.pop(0) if outer.statuses else 200
                if status == 200 and self.path == outer.path:
                    outer.received.append(json.loads(body))
                self.send_response(status if self.path == outer.path else 404)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def __enter__(self) -> "Webhook":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An SMTP server that keeps every message it is given."""

    def __init__(self, port: int | None = None):
        from aiosmtpd.controller import Controller

        self.messages = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                outer.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = port or free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "Mailbox":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
