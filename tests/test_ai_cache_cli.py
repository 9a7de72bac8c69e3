"""Caching (unchanged coverage is never recomputed) and the ``newsdesk ai`` commands."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsdesk.ai import DirectoryCache, MemoryCache, OfflineProvider, cache_key, run
from newsdesk.ai.io import load_jsonl
from newsdesk.cli.ai import ai_app

FIXTURES = Path(__file__).parent / "fixtures" / "ai"
STORY = FIXTURES / "story.jsonl"


class CountingProvider(OfflineProvider):
    calls = 0

    def run(self, feature, docs, **params):
        type(self).calls += 1
        return super().run(feature, docs, **params)


@pytest.mark.parametrize("make_cache", [lambda tmp: MemoryCache(), lambda tmp: DirectoryCache(tmp / "cache")])
def test_cache_hit_on_unchanged_docs_and_miss_on_change(tmp_path, make_cache):
    docs = load_jsonl(STORY)
    cache, provider = make_cache(tmp_path), CountingProvider()
    CountingProvider.calls = 0
    first = run("summary", docs, provider=provider, cache=cache)
    again = run("summary", list(reversed(docs)), provider=provider, cache=cache)
    assert CountingProvider.calls == 1 and again.to_json() == first.to_json()
    changed = docs[:-1] + [replace(docs[-1], text=docs[-1].text + " The ferry will be free.")]
    run("summary", changed, provider=provider, cache=cache)
    run("summary", docs, provider=provider, cache=cache, sentences=2)
    assert CountingProvider.calls == 3


def test_cache_key_depends_on_provider_and_feature():
    docs = load_jsonl(STORY)
    keys = {cache_key("summary", {}, docs, "offline"), cache_key("summary", {}, docs, "openai:m@x"),
            cache_key("timeline", {}, docs, "offline")}
    assert len(keys) == 3


def invoke(*args):
    return CliRunner().invoke(ai_app, list(args))


@pytest.mark.parametrize("command, extra", [
    ("summary", []), ("timeline", ["--since", "2024-03-01"]), ("background", []), ("compare", []),
    ("ask", ["--question", "How many people were injured?"]),
])
def test_cli_prints_cited_json(command, extra):
    result = invoke(command, "--input", str(STORY), *extra)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["feature"] == command and data["status"] == "ok" and data["items"]
    assert all(item["citations"][0]["text"] for item in data["items"])
    if command == "background":
        assert data["meta"]["update"] == "a3"  # the last line
    if command == "timeline":
        assert all(e["date"] > "2024-03-01" for e in data["entries"])


def test_cli_ids_default_to_line_numbers(tmp_path):
    path = tmp_path / "docs.jsonl"
    rows = [json.loads(line) for line in STORY.read_text().splitlines()]
    path.write_text("\n".join(json.dumps({k: v for k, v in r.items() if k != "id"}) for r in rows))
    data = json.loads(invoke("summary", "--input", str(path)).output)
    assert all(c["doc"].isdigit() for i in data["items"] for c in i["citations"])


@pytest.mark.parametrize("content, message", [
    (None, "input file not found"),
    ('{"date": "2024-03-01", "outlet": "a", "title": "t", "text": "x"}\n{oops', "docs.jsonl:2: not valid JSON"),
    ('{"date": "2024-03-01", "outlet": "a", "text": "x"}', "docs.jsonl:1: missing field(s): title"),
    ('{"date": "March 1st", "outlet": "a", "title": "t", "text": "x"}', "docs.jsonl:1: bad date"),
    ("[1, 2]", "docs.jsonl:1: expected a JSON object"),
    ('{"id": "a", "date": "2024-03-01", "outlet": "a", "title": "t", "text": "x"}\n'
     '{"id": "a", "date": "2024-03-02", "outlet": "b", "title": "u", "text": "y"}',
     "docs.jsonl:2: duplicate id 'a' (first on line 1)"),
    ('{"date": "2024-03-01", "outlet": "a", "title": "t", "text": "x"}\n'
     '{"id": "1", "date": "2024-03-02", "outlet": "b", "title": "u", "text": "y"}',
     "docs.jsonl:2: duplicate id '1' (first on line 1)"),
])
def test_cli_bad_input_is_one_clear_line(tmp_path, content, message):
    path = tmp_path / "docs.jsonl"
    if content is not None:
        path.write_text(content)
    result = invoke("summary", "--input", str(path))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_bad_since_date():
    result = invoke("timeline", "--input", str(STORY), "--since", "yesterday")
    assert result.exit_code == 2 and "bad --since date" in result.output
