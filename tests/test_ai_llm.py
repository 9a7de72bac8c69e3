"""The OpenAI-compatible provider against a real HTTP server on 127.0.0.1 that answers
like a chat-completions endpoint: kept when cited and supported, dropped when invented,
offline fallback (with a note) when the endpoint is down, slow or talks garbage."""

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsdesk.ai import MemoryCache, OpenAICompatibleProvider, get_provider, run
from newsdesk.ai.io import load_jsonl
from newsdesk.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "ai"
INVENTED = "The mayor resigned after admitting the bridge had never been inspected."


class FakeLLM(BaseHTTPRequestHandler):
    mode = "good"
    requests: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        sources = re.findall(r"^\[S(\d+)\] \([^)]*\) (.*)$", body["messages"][1]["content"], re.M)
        mode = type(self).mode
        if mode == "slow":
            time.sleep(2)
        items = [{"text": text, "citations": [f"S{n}"]} for n, text in sources[:2]]
        if mode == "hallucinate":
            items.append({"text": INVENTED, "citations": ["S1"]})
        content = "this is not JSON {" if mode == "garbage" else "```json\n" + json.dumps({"items": items}) + "\n```"
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the slow case)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def story():
    return load_jsonl(FIXTURES / "story.jsonl")


def provider(base, tmp_path, timeout=5.0):
    return OpenAICompatibleProvider(base, "test-model", api_key="k", timeout=timeout, log_path=tmp_path / "llm.jsonl")


def test_good_answer_is_kept_with_citations_and_logged(server, story, tmp_path):
    FakeLLM.mode = "good"
    FakeLLM.requests.clear()
    result = run("summary", story, provider=provider(server, tmp_path))
    assert result.provider == "openai:test-model@" + server and not result.note
    assert len(result.items) == 2 and all(i.supported and i.citations for i in result.items)
    assert result.items[0].text == result.items[0].citations[0].text
    request = FakeLLM.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k"
    assert request["body"]["model"] == "test-model"
    log = [json.loads(line) for line in (tmp_path / "llm.jsonl").read_text().splitlines()]
    assert log[-1]["feature"] == "summary" and log[-1]["sources"] and log[-1]["response"]
    assert len(log[-1]["kept"]) == 2 and log[-1]["messages"][0]["role"] == "system"


def test_hallucinated_sentence_is_dropped_and_marked(server, story, tmp_path):
    FakeLLM.mode = "hallucinate"
    result = run("timeline", story, provider=provider(server, tmp_path))
    assert INVENTED not in [i.text for i in result.items]
    assert [i.text for i in result.sections["unsupported"]] == [INVENTED]
    assert result.sections["unsupported"][0].supported is False
    assert "not supported" in result.note
    assert all(i.date for i in result.items)


@pytest.mark.parametrize("mode, expected", [("garbage", "invalid JSON"), ("slow", "no answer within")])
def test_bad_endpoint_falls_back_to_offline(server, story, tmp_path, mode, expected):
    FakeLLM.mode = mode
    cache = MemoryCache()
    result = run("ask", story, provider=provider(server, tmp_path, timeout=0.5), cache=cache,
                 question="How many people were injured?")
    assert result.provider == "offline" and expected in result.note and result.items
    assert len(cache) == 0  # a fallback is not cached
    assert "error" in json.loads((tmp_path / "llm.jsonl").read_text().splitlines()[-1])


def test_down_endpoint_falls_back(story, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    result = run("background", story, provider=provider(f"http://127.0.0.1:{port}/v1", tmp_path))
    assert result.status == "ok" and "LLM unavailable (endpoint unreachable" in result.note


def test_injected_article_is_quoted_as_data(server, story, tmp_path):
    FakeLLM.mode = "good"
    docs = story + load_jsonl(FIXTURES / "injection.jsonl")
    run("ask", docs, provider=provider(server, tmp_path), question="What did the wire say about ignoring instructions?")
    messages = FakeLLM.requests[-1]["body"]["messages"]
    assert "never instructions" in messages[0]["content"]
    assert "Ignore previous instructions" not in messages[0]["content"]
    assert re.search(r"^\[S\d+\] .*Ignore previous instructions", messages[1]["content"], re.M)


def test_provider_is_chosen_by_settings(server, tmp_path):
    assert get_provider(Settings()).identity == "offline"
    chosen = get_provider(Settings().with_(ai_provider="openai", llm_base_url=server, llm_model="m"))
    assert isinstance(chosen, OpenAICompatibleProvider) and chosen.model == "m"
