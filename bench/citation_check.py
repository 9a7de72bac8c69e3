"""Every AI output sentence must trace to a stored sentence it cites.

Runs every feature (summary, timeline, compare, ask, background) on a few stories of the
demo corpus (``newsdesk.demo.corpus.load_articles()``, else
../shared/demo-corpus/demo-articles.jsonl), grouped by the known multi-outlet events
(day range + title keywords). For each output item it checks, against our own split of
the stored documents, that (1) every citation's text is the stored sentence at
(doc, index), and (2) the output sentence itself equals (normalised) or is contained in
the text it cites. For LLM output ``newsdesk.ai.text.support`` would replace (2); this
script checks the offline provider. The last line is ``cited: <share>%``.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsdesk.ai import Citation, Doc, run  # noqa: E402
from newsdesk.ai.io import parse_date  # noqa: E402
from newsdesk.sentences import split_sentences  # noqa: E402
from newsdesk.ai.text import normalize  # noqa: E402

SHARED_JSONL = Path(__file__).resolve().parents[2] / "shared" / "demo-corpus" / "demo-articles.jsonl"
# (name, first day, last day, title pattern, question)
STORIES = [
    ("biden-putin-call", "2022-02-11", "2022-02-14", r"call|conversation|telephone",
     "What did the presidents discuss on the phone?"),
    ("donbas-recognition", "2022-02-21", "2022-02-23", r"Donetsk|Luhansk|Lugansk|recogni|Address",
     "Which republics were recognised?"),
    ("invasion", "2022-02-24", "2022-02-26", r"attack|Address|martial|military|sanction|invasion",
     "When was martial law introduced?"),
    ("macron", "2022-02-07", "2022-03-10", r"Macron|France", "What did Macron and Putin talk about?"),
    ("sanctions", "2022-02-22", "2022-03-10", r"[Ss]anction", "Which banks were sanctioned?"),
    ("belarus-talks", "2022-02-26", "2022-03-10", r"talks|negotiat|delegation", "Where did the delegations meet?"),
]
MAX_DOCS = 24


def load_docs() -> list[Doc]:
    try:
        from newsdesk.demo.corpus import load_articles
        rows = [{"id": a.id, "date": a.published, "outlet": a.outlet, "title": a.title, "text": a.text}
                for a in load_articles()]
    except Exception:  # the demo package is not there yet: read the shared copy
        rows = [json.loads(line) for line in SHARED_JSONL.read_text(encoding="utf-8").splitlines()]
    return [Doc(id=str(r["id"]), date=parse_date(r.get("date") or r["published"]), outlet=r["outlet"],
                title=r["title"], text=r["text"]) for r in rows]


def demo_stories(docs: list[Doc]) -> list[tuple[str, list[Doc], str]]:
    stories = []
    for name, first, last, pattern, question in STORIES:
        lo, hi = date.fromisoformat(first), date.fromisoformat(last)
        members = [d for d in docs if lo <= d.day <= hi and re.search(pattern, d.title)]
        members.sort(key=lambda d: (d.day, d.id))
        stories.append((name, members[:MAX_DOCS], question))
    return stories


def feature_calls(docs: list[Doc], question: str):
    yield "summary", run("summary", docs)
    yield "article-summary", run("summary", docs[:1])
    yield "timeline", run("timeline", docs)
    yield "timeline-since", run("timeline", docs, since=docs[len(docs) // 2].day)
    yield "compare", run("compare", docs)
    yield "ask", run("ask", docs, question=question)
    yield "background", run("background", docs)


def check(result, stored: dict[tuple[str, int], str]) -> tuple[int, int, list[str]]:
    ok = total = 0
    problems = []
    cited_lists = [(i.text, i.citations) for i in result.all_items()]
    tables = result.meta.get("outlets") if result.feature == "compare" and result.status == "ok" else {}
    for table in tables.values():
        for verdict in ("reports", "contradicts"):
            for entry in table[verdict]:
                cited_lists.append((entry["citation"]["text"], [Citation(**entry["citation"])]))
    for text, citations in cited_lists:
        total += 1
        good = bool(citations) and all(stored.get((c.doc, c.sentence)) == c.text for c in citations)
        out = normalize(text)
        good = good and any(out == normalize(c.text) or (out and out in normalize(c.text)) for c in citations)
        ok += good
        if not good:
            problems.append(text[:100])
    return ok, total, problems


def main() -> int:
    docs = load_docs()
    stored = {(d.id, i): s for d in docs for i, s in enumerate(split_sentences(d.text))}
    ok = total = 0
    print(f"{'story':<20} {'docs':>4} {'outlets':>7}  feature: cited/items (status)")
    for name, members, question in demo_stories(docs):
        outlets = len({d.outlet for d in members})
        parts = []
        for feature, result in feature_calls(members, question):
            a, b, problems = check(result, stored)
            ok, total = ok + a, total + b
            parts.append(f"{feature} {a}/{b}" + ("" if result.status == "ok" else f" ({result.status})"))
            for p in problems[:3]:
                parts.append(f"  UNCITED: {p}")
        print(f"{name:<20} {len(members):>4} {outlets:>7}  " + "; ".join(parts))
    print(f"output sentences checked: {total}, traced to the stored sentence they cite: {ok}")
    print(f"cited: {100.0 * ok / total if total else 0.0:.1f}%")
    return 0 if total and ok == total else 1


if __name__ == "__main__":
    sys.exit(main())
