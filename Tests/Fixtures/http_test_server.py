#!/usr/bin/env python3
"""Scriptable local HTTP/1.1 server for Tierflow tests (stdlib only).

Usage: python3 http_test_server.py
  Listens on 127.0.0.1, port chosen by the OS, HTTP/1.1 with keep-alive.
  The FIRST line printed on stdout is the port number.
  Exits when stdin reaches end-of-file (so it never outlives the test process) or on SIGTERM.

Routes (any method unless noted; every JSON response carries Content-Length):
  /echo[...]                  200, JSON {method, path, query, headers (lower-cased names -> value,
                              repeated headers joined with ", "), header_list [[name, value], ...],
                              body (UTF-8, invalid bytes replaced), body_length}.
                              Adds response header "X-Echo-Header: echo" (for case-insensitive lookups).
  /delay/<ms>                 waits <ms> milliseconds, then 200 JSON {"delayed_ms": ms}.
  /status/<code>[?retry_after=N]
                              answers <code> with a JSON error body
                              {"error": {"message", "type", "code"}} and, if given, "Retry-After: N".
  /garbage                    200, Content-Type application/json, body is truncated non-JSON text
                              (HTTP framing is valid; only the payload is broken).
  /truncate                   200 announcing Content-Length 1000, sends 10 bytes, closes the socket.
  /close                      closes the socket without answering.
  /redirect?to=<path>         302 with "Location: <path>".
  /stream/<n>[?delay_ms=M]    200 text/event-stream, chunked: n events "data: {\"index\": i}\n\n",
                              then "data: [DONE]\n\n", M ms apart (default 10).
  /stats                      200 JSON {"connections": accepted TCP connections, "requests": requests
                              handled, not counting this one}.
  /openai/v1/chat/completions POST, OpenAI chat-completions shape. Needs "Authorization: Bearer <k>"
                              (401 otherwise). Answers "echo: <last user message>", usage counts,
                              and token logprobs when the request has "logprobs": true.
  /anthropic/v1/messages      POST, Anthropic Messages shape. Needs "x-api-key" and "anthropic-version"
                              (401 / 400 otherwise). Answers one text block "echo: <last user message>".

Scripted sequences (namespaced, so parallel tests can share a server):
  POST /script[/<name>]       body: a JSON list of responses, or {"responses": [...]}; replaces the queue
                              <name> (default "default"). Each response:
                                {"status": 200, "headers": {"Name": "value"}, "body": <string or JSON>,
                                 "delay_ms": 0, "close": false,
                                 "chunks": ["data: ...\n\n", ...], "chunk_delay_ms": 0}
                              "close": true drops the connection without answering; "chunks" sends the
                              body chunked (Transfer-Encoding: chunked) piece by piece.
                              Note: libcurl resends a request once when a REUSED keep-alive connection
                              closes before any response byte, so one "close" entry may be followed by
                              a second request; script two entries to make such a request fail.
  /scripted/<name>[/...]      pops the next response of queue <name>. When the queue is empty:
                              500 JSON {"error": {"message": "script exhausted", ...}} and
                              header "X-Script-Exhausted: 1".
  GET /script/<name>/requests JSON list of the requests /scripted/<name> received, in order
                              ({method, path, query, headers, body}).
"""

import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATS = {"connections": 0, "requests": 0}
SCRIPTS = {}  # name -> list of pending responses
SCRIPT_REQUESTS = {}  # name -> list of recorded requests


def _json_bytes(value):
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TierflowTestServer/1.0"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without NODELAY, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with LOCK:
            STATS["connections"] += 1

    def log_message(self, format, *args):  # noqa: A002 - keep stderr quiet
        pass

    # -- plumbing ---------------------------------------------------------------------------------

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _send(self, status, body=b"", headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = _json_bytes(body)
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        headers = dict(headers or {})
        if content_type and not any(k.lower() == "content-type" for k in headers):
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _send_chunks(self, status, chunks, headers=None, chunk_delay_ms=0):
        self.send_response(status)
        headers = dict(headers or {})
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "text/event-stream"
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for chunk in chunks:
            if chunk_delay_ms:
                time.sleep(chunk_delay_ms / 1000.0)
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop_connection(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _describe_request(self, body):
        parts = urlsplit(self.path)
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        return {
            "method": self.command,
            "path": parts.path,
            "query": parts.query,
            "headers": headers,
            "header_list": [[n, v] for n, v in self.headers.items()],
            "body": body.decode("utf-8", errors="replace"),
            "body_length": len(body),
        }

    # -- dispatch ---------------------------------------------------------------------------------

    def _handle(self):
        body = self._read_body()
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query)
        segments = [s for s in path.split("/") if s]
        is_stats = path == "/stats"
        if not is_stats:
            with LOCK:
                STATS["requests"] += 1
        try:
            self._route(path, segments, query, body, is_stats)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self, path, segments, query, body, is_stats):
        head = segments[0] if segments else ""
        if head == "echo":
            return self._send(200, self._describe_request(body), {"X-Echo-Header": "echo"})
        if head == "delay" and len(segments) == 2:
            ms = int(segments[1])
            time.sleep(ms / 1000.0)
            return self._send(200, {"delayed_ms": ms})
        if head == "status" and len(segments) == 2:
            code = int(segments[1])
            headers = {}
            if "retry_after" in query:
                headers["Retry-After"] = query["retry_after"][0]
            error = {"error": {"message": "status %d requested" % code, "type": "test_error", "code": code}}
            return self._send(code, error, headers)
        if head == "garbage":
            return self._send(200, '{"id": "chatcmpl-garbage", "choices": [{"message": {"content": "trunc')
        if head == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"partial":')
            self.wfile.flush()
            return self._drop_connection()
        if head == "close":
            return self._drop_connection()
        if head == "redirect":
            target = query.get("to", ["/echo"])[0]
            return self._send(302, {"location": target}, {"Location": target})
        if head == "stream" and len(segments) == 2:
            count = int(segments[1])
            delay = int(query.get("delay_ms", ["10"])[0])
            chunks = ["data: %s\n\n" % json.dumps({"index": i}) for i in range(count)] + ["data: [DONE]\n\n"]
            return self._send_chunks(200, chunks, chunk_delay_ms=delay)
        if is_stats:
            with LOCK:
                snapshot = dict(STATS)
            return self._send(200, snapshot)
        if head == "script":
            return self._script(segments, body)
        if head == "scripted" and len(segments) >= 2:
            return self._scripted(segments[1], body)
        if path == "/openai/v1/chat/completions" and self.command == "POST":
            return self._openai(body)
        if path == "/anthropic/v1/messages" and self.command == "POST":
            return self._anthropic(body)
        return self._send(404, {"error": {"message": "no route for %s" % path, "type": "not_found"}})

    # -- scripted sequences -----------------------------------------------------------------------

    def _script(self, segments, body):
        if len(segments) == 3 and segments[2] == "requests" and self.command == "GET":
            with LOCK:
                recorded = list(SCRIPT_REQUESTS.get(segments[1], []))
            return self._send(200, recorded)
        if self.command != "POST" or len(segments) > 2:
            return self._send(405, {"error": {"message": "POST /script[/<name>]", "type": "bad_request"}})
        name = segments[1] if len(segments) == 2 else "default"
        try:
            spec = json.loads(body or b"[]")
        except ValueError as error:
            return self._send(400, {"error": {"message": "invalid JSON: %s" % error, "type": "bad_request"}})
        responses = spec.get("responses", []) if isinstance(spec, dict) else spec
        if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
            return self._send(400, {"error": {"message": "expected a list of objects", "type": "bad_request"}})
        with LOCK:
            SCRIPTS[name] = list(responses)
            SCRIPT_REQUESTS[name] = []
        return self._send(200, {"name": name, "queued": len(responses)})

    def _scripted(self, name, body):
        description = self._describe_request(body)
        with LOCK:
            SCRIPT_REQUESTS.setdefault(name, []).append(
                {k: description[k] for k in ("method", "path", "query", "headers", "body")})
            queue = SCRIPTS.get(name) or []
            response = queue.pop(0) if queue else None
        if response is None:
            error = {"error": {"message": "script exhausted", "type": "script_exhausted", "name": name}}
            return self._send(500, error, {"X-Script-Exhausted": "1"})
        if response.get("delay_ms"):
            time.sleep(response["delay_ms"] / 1000.0)
        if response.get("close"):
            return self._drop_connection()
        status = int(response.get("status", 200))
        headers = response.get("headers") or {}
        if "chunks" in response:
            return self._send_chunks(status, response["chunks"], headers, int(response.get("chunk_delay_ms", 0)))
        payload = response.get("body", "")
        content_type = "application/json" if isinstance(payload, (dict, list)) else "text/plain; charset=utf-8"
        return self._send(status, payload, headers, content_type)

    # -- LLM wire formats -------------------------------------------------------------------------

    @staticmethod
    def _last_user_text(messages):
        for message in reversed(messages or []):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    return "".join(b.get("text", "") for b in content if isinstance(b, dict))
                return str(content or "")
        return ""

    def _openai(self, body):
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            return self._send(401, {"error": {"message": "missing bearer token", "type": "invalid_request_error",
                                              "code": "invalid_api_key"}})
        try:
            request = json.loads(body)
        except ValueError:
            return self._send(400, {"error": {"message": "invalid JSON body", "type": "invalid_request_error"}})
        text = "echo: " + self._last_user_text(request.get("messages"))
        tokens = text.split(" ")
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                  "logprobs": None}
        if request.get("logprobs"):
            choice["logprobs"] = {"content": [{"token": t, "logprob": -0.01 * (i + 1), "bytes": list(t.encode()),
                                               "top_logprobs": []} for i, t in enumerate(tokens)]}
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in request.get("messages") or [])
        return self._send(200, {
            "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", "test-model"), "choices": [choice],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                      "total_tokens": prompt_tokens + len(tokens)},
        })

    def _anthropic(self, body):
        if not self.headers.get("x-api-key"):
            return self._send(401, {"type": "error", "error": {"type": "authentication_error",
                                                               "message": "missing x-api-key"}})
        if not self.headers.get("anthropic-version"):
            return self._send(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                               "message": "missing anthropic-version"}})
        try:
            request = json.loads(body)
        except ValueError:
            return self._send(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                               "message": "invalid JSON body"}})
        text = "echo: " + self._last_user_text(request.get("messages"))
        input_tokens = sum(len(str(m.get("content", "")).split()) for m in request.get("messages") or [])
        return self._send(200, {
            "id": "msg_test", "type": "message", "role": "assistant",
            "model": request.get("model", "test-model"),
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": len(text.split(" "))},
        })

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError, TimeoutError)):
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
