#!/usr/bin/env python3
"""The official `openai` client against tierflow-gateway: chat, streaming, policies, errors, auth, feedback.

Also checks Idempotency-Key (replay with the same id and body, 422 for another request under the key).
Run by GatewayLiveTests (Tests/TierflowServicesTests) with the gateway in front of an in-process pipeline.
Environment:
  TIERFLOW_GATEWAY_URL       base URL, e.g. http://127.0.0.1:PORT/v1
  TIERFLOW_GATEWAY_KEY       a key with room to spare
  TIERFLOW_GATEWAY_LIMITED   a key limited to 1 request per minute
  TIERFLOW_GATEWAY_BROKE     a key whose daily budget is spent
  TIERFLOW_GATEWAY_MAX_BODY  gateway.max_body_bytes
Prints one line per check, `PASS name` or `FAIL name: why`, then `SUMMARY ok=N failed=M`; exits 1 on any failure.
"""
import json
import os
import sys
import traceback

import httpx
import openai

BASE = os.environ["TIERFLOW_GATEWAY_URL"]
KEY = os.environ["TIERFLOW_GATEWAY_KEY"]
LIMITED = os.environ["TIERFLOW_GATEWAY_LIMITED"]
BROKE = os.environ["TIERFLOW_GATEWAY_BROKE"]
MAX_BODY = int(os.environ["TIERFLOW_GATEWAY_MAX_BODY"])
QUESTION = "Why would a centrifugal pump cavitate after a suction valve change?"

client = openai.OpenAI(base_url=BASE, api_key=KEY, max_retries=0, timeout=30)
results = []
state = {}


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
            print(f"PASS {name}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
            detail = f"{type(error).__name__}: {error}"
            results.append((name, detail))
            print(f"FAIL {name}: {detail}", flush=True)
            traceback.print_exc(file=sys.stderr)
        return fn
    return wrap


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def error_of(exc):
    """The OpenAI error object of an APIStatusError's body."""
    body = exc.response.json()
    expect(set(body["error"].keys()) >= {"message", "type", "param", "code"}, f"OpenAI error shape: {body}")
    return body["error"]


@check("models")
def _():
    ids = [m.id for m in client.models.list().data]
    expect("tierflow" in ids and "tierflow-quality" in ids, f"policies listed: {ids}")
    expect(any(i.startswith("router-") for i in ids), f"RouteLLM form listed: {ids}")


@check("chat")
def _():
    raw = client.chat.completions.with_raw_response.create(
        model="tierflow", messages=[{"role": "user", "content": QUESTION}])
    completion = raw.parse()
    answer = completion.choices[0].message.content
    expect(answer and len(answer) > 10, f"an answer: {answer!r}")
    expect(completion.choices[0].message.role == "assistant", "assistant role")
    expect(completion.choices[0].finish_reason in ("stop", "length"), f"finish reason {completion.choices[0].finish_reason}")
    extra = completion.model_extra["tierflow"]
    expect(extra["simulated"] is True, f"simulated results say so: {extra}")
    expect(completion.model.startswith("simulated/"), f"model names the simulated backend: {completion.model}")
    expect(extra["model"] == completion.model, "extra field names the same model")
    expect(extra["layer"] >= 1 and extra["tier"], f"layer and tier: {extra}")
    expect(completion.id == extra["query_id"] and completion.id.startswith("chat-"), f"id is the query id: {completion.id}")
    expect(raw.headers["x-tierflow-layer"] == str(extra["layer"]), "x-tierflow-layer header")
    expect(raw.headers["x-tierflow-tier"] == extra["tier"], "x-tierflow-tier header")
    for header in ("x-tierflow-confidence", "x-tierflow-escalations", "x-tierflow-cost-usd"):
        expect(header in raw.headers, f"{header} header")
    expect(completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens, "usage adds up")
    state["answer"] = answer
    state["query_id"] = completion.id


@check("streaming")
def _():
    stream = client.chat.completions.create(
        model="tierflow", messages=[{"role": "user", "content": QUESTION}], stream=True,
        stream_options={"include_usage": True})
    pieces, roles, finish, extra, usage, count = [], [], None, None, None, 0
    for chunk in stream:
        count += 1
        expect(chunk.object == "chat.completion.chunk", f"chunk object: {chunk.object}")
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.role:
                roles.append(choice.delta.role)
            if choice.delta.content:
                pieces.append(choice.delta.content)
            if choice.finish_reason:
                finish = choice.finish_reason
        if chunk.model_extra and chunk.model_extra.get("tierflow"):
            extra = chunk.model_extra["tierflow"]
    expect(roles == ["assistant"], f"one role chunk: {roles}")
    expect(len(pieces) > 1, f"the answer comes in pieces: {len(pieces)}")
    # The simulated backend answers the same prompt the same way, so the stream reassembles to the chat answer.
    expect("".join(pieces) == state.get("answer"), f"reassembled {''.join(pieces)!r} vs {state.get('answer')!r}")
    expect(finish == "stop", f"finish chunk: {finish}")
    expect(extra is not None and extra["simulated"] is True, f"tierflow field on the finish chunk: {extra}")
    expect(usage is not None and usage.total_tokens > 0, f"usage chunk: {usage}")


@check("idempotency_key")
def _():
    key = f"client-test-{os.getpid()}-{len(results)}"
    messages = [{"role": "user", "content": QUESTION + " (idempotent)"}]
    first = client.chat.completions.with_raw_response.create(
        model="tierflow", messages=messages, extra_headers={"Idempotency-Key": key})
    again = client.chat.completions.with_raw_response.create(
        model="tierflow", messages=messages, extra_headers={"Idempotency-Key": key})
    expect(first.parse().id == again.parse().id, f"one query for one key: {first.parse().id} vs {again.parse().id}")
    expect(again.headers.get("idempotent-replayed") == "true", f"replay header: {dict(again.headers)}")
    expect(first.http_response.content == again.http_response.content, "the same body")
    try:
        client.chat.completions.create(
            model="tierflow", messages=[{"role": "user", "content": "another question"}], extra_headers={"Idempotency-Key": key})
        raise AssertionError("a different request under the same key was accepted")
    except openai.UnprocessableEntityError as exc:
        expect(error_of(exc)["code"] == "idempotency_key_reused", "idempotency_key_reused")


@check("policies")
def _():
    for model in ("tierflow-quality", "router-mf-0.11593"):
        completion = client.chat.completions.create(model=model, messages=[{"role": "user", "content": QUESTION}])
        extra = completion.model_extra["tierflow"]
        expect(extra["policy"] == model, f"policy recorded: {extra}")
    expect(abs(extra["quality_target"] - (1 - 0.11593)) < 1e-9, f"threshold t maps to quality target 1 - t: {extra}")


@check("route_only")
def _():
    response = httpx.post(f"{BASE}/route", headers={"Authorization": f"Bearer {KEY}"},
                          json={"model": "tierflow", "messages": [{"role": "user", "content": QUESTION}]})
    expect(response.status_code == 200, f"status {response.status_code}: {response.text}")
    body = response.json()
    expect(body["tier"] in body["estimates"], f"tier among the estimates: {body}")
    expect(all(0 <= p <= 1 for p in body["estimates"].values()), "estimates are probabilities")
    expect(body["reason"], "a reason")


@check("bad_request")
def _():
    try:
        client.chat.completions.create(model="tierflow", messages=[])
        raise AssertionError("empty messages accepted")
    except openai.BadRequestError as exc:
        expect(exc.status_code == 400, f"status {exc.status_code}")
        expect(error_of(exc)["type"] == "invalid_request_error", "invalid_request_error")


@check("malformed_json")
def _():
    response = httpx.post(f"{BASE}/chat/completions", headers={"Authorization": f"Bearer {KEY}",
                          "Content-Type": "application/json"}, content=b'{"model": "tierflow", "messages": [')
    expect(response.status_code == 400, f"status {response.status_code}")
    error = response.json()["error"]
    expect(error["code"] == "invalid_json" and error["type"] == "invalid_request_error", f"error body {error}")


@check("unknown_model")
def _():
    try:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
        raise AssertionError("unknown model accepted")
    except openai.NotFoundError as exc:
        expect(error_of(exc)["code"] == "model_not_found", "model_not_found")


@check("too_large")
def _():
    body = json.dumps({"model": "tierflow", "messages": [{"role": "user", "content": "x" * (MAX_BODY + 10)}]})
    response = httpx.post(f"{BASE}/chat/completions", headers={"Authorization": f"Bearer {KEY}",
                          "Content-Type": "application/json"}, content=body.encode())
    expect(response.status_code == 413, f"status {response.status_code}")
    expect(response.json()["error"]["code"] == "request_too_large", response.text)


@check("auth_missing_and_wrong_key")
def _():
    for key in ("tf-" + "0" * 48, KEY + "x"):
        bad = openai.OpenAI(base_url=BASE, api_key=key, max_retries=0)
        try:
            bad.chat.completions.create(model="tierflow", messages=[{"role": "user", "content": QUESTION}])
            raise AssertionError("a wrong key was accepted")
        except openai.AuthenticationError as exc:
            expect(exc.status_code == 401 and error_of(exc)["code"] == "invalid_api_key", "invalid_api_key")
    response = httpx.get(f"{BASE}/models")
    expect(response.status_code == 401, f"no key: status {response.status_code}")


@check("rate_limit")
def _():
    limited = openai.OpenAI(base_url=BASE, api_key=LIMITED, max_retries=0)
    limited.models.list()  # the one request this minute
    try:
        limited.models.list()
        raise AssertionError("second request within the minute accepted")
    except openai.RateLimitError as exc:
        expect(exc.status_code == 429, f"status {exc.status_code}")
        expect(int(exc.response.headers["retry-after"]) >= 1, "Retry-After header")
        expect(error_of(exc)["code"] == "rate_limit_exceeded", "rate_limit_exceeded")


@check("budget")
def _():
    broke = openai.OpenAI(base_url=BASE, api_key=BROKE, max_retries=0)
    try:
        broke.chat.completions.create(model="tierflow", messages=[{"role": "user", "content": QUESTION}])
        raise AssertionError("a key over its budget was served")
    except openai.RateLimitError as exc:
        expect(error_of(exc)["code"] == "insufficient_quota", "insufficient_quota")
        expect(exc.response.headers.get("x-should-retry") == "false", "not worth retrying")


@check("feedback")
def _():
    headers = {"Authorization": f"Bearer {KEY}"}
    response = httpx.post(f"{BASE}/feedback", headers=headers, json={
        "query_id": state["query_id"], "rating": -1, "corrected_answer": "Check NPSH available against NPSH required.",
        "promote": True})
    expect(response.status_code == 200, f"status {response.status_code}: {response.text}")
    body = response.json()
    expect(body["promoted"] is True and body["kb_key"], f"promoted: {body}")
    state["kb_key"] = body["kb_key"]
    response = httpx.post(f"{BASE}/feedback", headers=headers, json={"query_id": "chat-nope", "rating": 1})
    expect(response.status_code == 404, f"unknown query: status {response.status_code}")
    response = httpx.post(f"{BASE}/feedback", headers=headers, json={"query_id": state["query_id"], "rating": 5})
    expect(response.status_code == 400, f"bad rating: status {response.status_code}")


failed = [name for name, detail in results if detail]
print(f"SUMMARY ok={len(results) - len(failed)} failed={len(failed)}")
if state.get("query_id"):
    print(f"QUERY {state['query_id']}")
if state.get("kb_key"):
    print(f"KBKEY {state['kb_key']}")
sys.exit(1 if failed else 0)
