"""FakeOpenAIServer's streamed answers, read by the REAL ``openai`` client: the stream a tool-using
client (kubectl-ai) reads must put back together into exactly the scripted step, as OpenAI's does."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.app.fake_llm import FakeOpenAIServer, FakeText, FakeToolCalls

COMMAND = "kubectl scale deployment/todo-chatbot-frontend -n todo --replicas=2"


def _stream(llm: FakeOpenAIServer) -> list[Any]:
    client = openai.OpenAI(base_url=llm.base_url, api_key="sk-test-not-a-real-key", max_retries=0)
    return list(
        client.chat.completions.create(
            model="fake-model", messages=[{"role": "user", "content": "scale it"}], stream=True
        )
    )


def test_a_streamed_text_answer_arrives_in_pieces_and_joins_up() -> None:
    text = "The frontend now runs 2 replicas."
    with FakeOpenAIServer(script=[FakeText(text)]) as llm:
        chunks = _stream(llm)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) > 1 and "".join(pieces) == text
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].object == "chat.completion.chunk"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert llm.requests[0]["body"]["stream"] is True


def test_streamed_tool_calls_open_with_id_and_name_then_stream_their_arguments() -> None:
    calls = [
        ("kubectl", {"command": COMMAND, "modifies_resource": "yes"}),
        ("kubectl", {"command": "kubectl get deployment -n todo", "modifies_resource": "no"}),
    ]
    with FakeOpenAIServer(script=[FakeToolCalls(calls)]) as llm:
        chunks = _stream(llm)
    rebuilt: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = rebuilt.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            assert delta.function is not None
            if delta.id:
                assert not call["id"], "a tool call's id came twice"
                call |= {"id": delta.id, "name": delta.function.name or ""}
            call["arguments"] += delta.function.arguments or ""
    assert [(c["name"], json.loads(c["arguments"])) for _, c in sorted(rebuilt.items())] == [
        (name, arguments) for name, arguments in calls
    ]
    assert all(c["id"].startswith("call_") for c in rebuilt.values())
    fragments = [d for c in chunks for d in c.choices[0].delta.tool_calls or [] if not d.id]
    assert len(fragments) > len(calls), "the arguments came whole, not streamed"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_a_failure_is_an_error_status_not_a_stream() -> None:
    with FakeOpenAIServer(fail_with=500) as llm, pytest.raises(openai.InternalServerError):
        _stream(llm)
