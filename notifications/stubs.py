"""Loopback stand-ins for the providers, for tests and benchmarks (no network here).

``TwilioStub`` answers the Messages API the way Twilio does, so the real SDK
runs unchanged with ``TWILIO_API_BASE`` pointed at it. ``SmtpSink`` is a real
SMTP server (aiosmtpd) that keeps what it receives.
"""
import json
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON, for the loopback provider stubs."""

    extra_headers: dict = {}

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class LoopbackServer:
    """Serves ``handler`` on 127.0.0.1 in a thread; ``url`` is its base address."""

    def __init__(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class TwilioStub(LoopbackServer):
    def __init__(self, fail_with: int | None = None):
        self.messages = []
        self.connections = Counter()  # requests per client (address, port): one TCP connection each
        self.fail_with = fail_with
        stub = self

        class Handler(JsonHandler):
            protocol_version = "HTTP/1.1"  # keeps the connection open between messages, as Twilio does
            disable_nagle_algorithm = True  # else the body, written after the headers, waits for a delayed ACK

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                stub.connections[self.client_address] += 1
                if stub.fail_with:
                    payload = {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": stub.fail_with}
                    self._answer(stub.fail_with, payload)
                    return
                sid = "SM" + uuid.uuid4().hex
                stub.messages.append({"sid": sid, "path": self.path, "authorization": self.headers.get("Authorization"),
                                      "raw_body": body, **form})
                self._answer(201, {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"),
                                   "body": form.get("Body"), "account_sid": self.path.split("/")[3]})

        super().__init__(Handler)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """A real SMTP server on loopback; ``delay`` seconds are spent before each message is accepted.

    It keeps what it receives as bytes and reads them into ``email.message.Message`` objects only
    when ``messages`` is asked for: in a benchmark, parsing at receipt cost the sink, which stands
    in for a mail relay on another machine, more than the sender's whole send.
    """

    def __init__(self, delay: float = 0.0):
        from aiosmtpd.controller import Controller

        self.received = []  # each message's bytes, as received
        self._parsed = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import asyncio

                if sink.delay:
                    await asyncio.sleep(sink.delay)
                with sink.lock:
                    sink.received.append(envelope.content)
                return "250 Message accepted for delivery"

        self.delay = delay
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def messages(self) -> list:
        """Every message received so far, parsed (each once)."""
        from email import message_from_bytes

        with self.lock:
            self._parsed += [message_from_bytes(content) for content in self.received[len(self._parsed):]]
            return list(self._parsed)

    def message_ids(self) -> Counter:
        return Counter(m["Message-ID"] for m in self.messages)

    def close(self):
        self.controller.stop()
