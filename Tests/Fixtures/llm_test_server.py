#!/usr/bin/env python3
"""Scripted stand-in for LLM APIs, for Tierflow's backend tests (stdlib only).

Usage: python3 llm_test_server.py
  Listens on 127.0.0.1, port chosen by the OS, HTTP/1.1 with keep-alive, one thread per connection.
  The FIRST line printed on stdout is the port number.
  Exits when stdin reaches end-of-file (so it never outlives the test process) or on SIGTERM.

Each test uses its own script name, so tests can share one server.

  POST /_script/<name>       body: {"responses": [R, ...], "then": R (optional)}; replaces the script
                             <name> and clears its recorded requests and counters. R is
                               {"status": 200, "headers": {"Name": "value"}, "body": "text",
                                "delay_ms": 0, "close": false}
                             "body" is sent as given (Content-Type application/json unless "headers"
                             sets one); "close": true drops the connection without answering.
  ANY /s/<name>[/...]        records the request, then answers with the next response of <name>; when
                             they are used up, with "then" if given, else 500 {"error": {"message":
                             "script exhausted"}}. Counts requests in flight while answering (delay
                             included).
  GET /_requests/<name>      {"count": requests received, "max_in_flight": most answered at once,
                              "requests": [{"method", "path", "headers" (lower-cased names), "body"}]}.
  GET /_count/<name>         {"count", "max_in_flight"} only (the fault-injection suite's long scripts).
"""

import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SCRIPTS = {}  # name -> {"responses": [...], "then": response or None}
RECORDS = {}  # name -> {"requests": [...], "in_flight": n, "max_in_flight": n}


def _record(name):
    return RECORDS.setdefault(name, {"requests": [], "in_flight": 0, "max_in_flight": 0})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TierflowLLMTestServer/1.0"

    def log_message(self, format, *args):  # noqa: A002 - keep stderr quiet
        pass

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        headers = dict(headers or {})
        self.send_response(status)
        if not any(k.lower() == "content-type" for k in headers):
            self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _handle(self):
        body = self._read_body()
        segments = [s for s in self.path.split("?")[0].split("/") if s]
        try:
            if len(segments) == 2 and segments[0] == "_script" and self.command == "POST":
                return self._script(segments[1], body)
            if len(segments) == 2 and segments[0] == "_requests":
                return self._requests(segments[1])
            if len(segments) == 2 and segments[0] == "_count":
                return self._count(segments[1])
            if len(segments) >= 2 and segments[0] == "s":
                return self._scripted(segments[1], body)
            return self._send(404, {"error": {"message": "no route for %s" % self.path}})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _script(self, name, body):
        spec = json.loads(body or b"{}")
        with LOCK:
            SCRIPTS[name] = {"responses": list(spec.get("responses", [])), "then": spec.get("then")}
            RECORDS[name] = {"requests": [], "in_flight": 0, "max_in_flight": 0}
        return self._send(200, {"name": name})

    def _requests(self, name):
        with LOCK:
            record = _record(name)
            snapshot = {"count": len(record["requests"]), "max_in_flight": record["max_in_flight"],
                        "requests": list(record["requests"])}
        return self._send(200, snapshot)

    def _count(self, name):
        with LOCK:
            record = _record(name)
            summary = {"count": len(record["requests"]), "max_in_flight": record["max_in_flight"]}
        return self._send(200, summary)

    def _scripted(self, name, body):
        headers = {}
        for key, value in self.headers.items():
            key = key.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        with LOCK:
            record = _record(name)
            record["requests"].append({"method": self.command, "path": self.path, "headers": headers,
                                       "body": body.decode("utf-8", errors="replace")})
            record["in_flight"] += 1
            record["max_in_flight"] = max(record["max_in_flight"], record["in_flight"])
            script = SCRIPTS.get(name) or {"responses": [], "then": None}
            response = script["responses"].pop(0) if script["responses"] else script["then"]
        try:
            if response is None:
                return self._send(500, {"error": {"message": "script exhausted"}})
            if response.get("delay_ms"):
                time.sleep(response["delay_ms"] / 1000.0)
            if response.get("close"):
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return None
            return self._send(int(response.get("status", 200)), response.get("body", ""), response.get("headers"))
        finally:
            with LOCK:
                record["in_flight"] -= 1

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _exit_when_stdin_closes():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    server.serve_forever(poll_interval=0.5)


if __name__ == "__main__":
    main()
