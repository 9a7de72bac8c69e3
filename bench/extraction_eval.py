"""Main-text extraction quality and speed: newsdesk's extract_article vs bare trafilatura.

Corpus: ../shared/eval/trafilatura-eval (evaldata.json + html/*.gz, see its SOURCE.md).
Text metric (upstream tests/eval_common.py): after whitespace normalisation, each "with"
segment found in the output is a true positive (else a false negative), each "without"
segment found is a false positive (else a true negative); sums over the corpus give
precision, recall, accuracy and F1. A crash or None finds nothing.

Metadata, over the items whose gold value is non-empty:
- title: exact match after whitespace normalisation and casefolding;
- author: exact match of the authors joined with "; " (gold lists joined the same way),
  whitespace-normalised and casefolded;
- date: same calendar day (YYYY-MM-DD, in the page's own offset).
The baseline's metadata comes from ``trafilatura.extract_metadata`` on the same bytes
(outside its timing); its text from upstream's canonical ``trafilatura.extract`` call.
Speed is CPU time per page (``time.process_time``), so other work on a shared machine
does not blur the comparison; the two methods alternate their order on every page.

The corpus is split by a hash of each page's URL (``evalsplit.py``): cleaning rules,
phrases and thresholds may be chosen on the tuning part only; the reporting part is the
figure to quote (the README does). Both parts and the whole are printed.

    python bench/extraction_eval.py [--limit N] [--json out.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import sys
import time
from pathlib import Path

import trafilatura
from trafilatura.metadata import extract_metadata

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from evalsplit import part  # noqa: E402
from newsdesk.ingest.extract import extract_article  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "trafilatura-eval"


def normalize(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def load_corpus(corpus: Path = CORPUS, limit: int | None = None) -> list[tuple[str, dict]]:
    data = json.loads((corpus / "evaldata.json").read_text(encoding="utf-8"))
    items = list(data.items())
    return items[:limit] if limit else items


def read_page(corpus: Path, item: dict) -> bytes:
    return gzip.decompress((corpus / "html" / (item["file"] + ".gz")).read_bytes())


def segment_counts(text: str | None, item: dict) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one document."""
    found = normalize(text)
    tp = sum(1 for s in item["with"] if found and normalize(s) in found)
    fp = sum(1 for s in item["without"] if found and normalize(s) in found)
    return tp, fp, len(item["with"]) - tp, len(item["without"]) - fp


def text_scores(counts: list[tuple[int, int, int, int]]) -> dict[str, float]:
    tp, fp, fn, tn = (sum(c[i] for c in counts) for i in range(4))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = tp + fp + fn + tn
    return {"precision": precision, "recall": recall, "f1": f1,
            "accuracy": (tp + tn) / total if total else 0.0}


def _same(a: str | None, b: str | None) -> bool:
    return normalize(a).casefold() == normalize(b).casefold()


def meta_hits(item: dict, title: str | None, author: str | None, day: str | None) -> dict[str, int | None]:
    """1/0 per field when the gold value is non-empty, None when there is nothing to check."""
    gold_author = item.get("author")
    if isinstance(gold_author, list):
        gold_author = "; ".join(gold_author)
    return {
        "title": int(_same(title, item["title"])) if item.get("title") else None,
        "author": int(_same(author, gold_author)) if gold_author else None,
        "date": int(day == item["date"][:10]) if item.get("date") else None,
    }


def run_baseline(raw: bytes, url: str) -> tuple[str | None, float, dict]:
    start = time.process_time()
    try:
        text = trafilatura.extract(raw, include_comments=False, include_tables=True,
                                   include_formatting=False)
    except Exception:
        text = None
    elapsed = time.process_time() - start
    try:
        meta = extract_metadata(raw, default_url=url)
        fields = (meta.title, meta.author, (meta.date or "")[:10] or None)
    except Exception:
        fields = (None, None, None)
    return text, elapsed, fields


def run_newsdesk(raw: bytes, url: str) -> tuple[str | None, float, tuple]:
    start = time.process_time()
    try:
        result = extract_article(raw, url=url)
    except Exception:
        result = None
    elapsed = time.process_time() - start
    if result is None:
        return None, elapsed, (None, None, None)
    day = result.date.strftime("%Y-%m-%d") if result.date else None
    return result.text, elapsed, (result.title, "; ".join(result.authors) or None, day)


def summarize(rows: list[dict], method: str, keep=lambda row: True) -> dict:
    picked = [r for r in rows if keep(r)]
    summary = text_scores([r[method]["counts"] for r in picked])
    for name in ("title", "author", "date"):
        hits = [r[method]["meta"][name] for r in picked if r[method]["meta"][name] is not None]
        summary[name] = sum(hits) / len(hits) if hits else 0.0
    summary["docs"] = len(picked)
    summary["time"] = sum(r[method]["seconds"] for r in picked)
    summary["ms_per_page"] = 1000 * summary["time"] / len(picked) if picked else 0.0
    return summary


def line(name: str, s: dict) -> str:
    return (f"{name}: P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f} "
            f"acc {s['accuracy']:.3f} title {s['title']:.2f} author {s['author']:.2f} "
            f"date {s['date']:.2f} docs {s['docs']} cpu {s['time']:.1f}s "
            f"({s['ms_per_page']:.1f} ms/page)")


def evaluate(limit: int | None = None, corpus: Path = CORPUS) -> dict:
    rows = []
    for index, (url, item) in enumerate(load_corpus(corpus, limit)):
        raw = read_page(corpus, item)
        row = {"index": index, "url": url, "part": part(url)}
        # alternate the order so neither method always runs on a warm cache
        order = (("baseline", run_baseline), ("newsdesk", run_newsdesk))
        for method, run in (order if index % 2 == 0 else order[::-1]):
            text, seconds, (title, author, day) = run(raw, url)
            row[method] = {"counts": segment_counts(text, item), "seconds": seconds,
                           "meta": meta_hits(item, title, author, day)}
        rows.append(row)
    report = {}
    for method in ("baseline", "newsdesk"):
        report[method] = {
            "all": summarize(rows, method),
            "tune": summarize(rows, method, lambda r: r["part"] == "tune"),
            "report": summarize(rows, method, lambda r: r["part"] == "report"),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents")
    parser.add_argument("--json", dest="json_path", default=None, help="write the figures here")
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 2
    logging.disable(logging.CRITICAL)  # trafilatura logs every discarded page
    report = evaluate(args.limit)
    base, ours = report["baseline"], report["newsdesk"]
    for label in ("report", "tune", "all"):
        print(f"{label} ({ours[label]['docs']} pages)")
        print("  " + line("trafilatura-bare", base[label]))
        print("  " + line("newsdesk", ours[label]))
        print(f"  F1 difference (newsdesk - bare): {ours[label]['f1'] - base[label]['f1']:+.4f}")
    ratio = ours["all"]["ms_per_page"] / base["all"]["ms_per_page"] if base["all"]["ms_per_page"] else 0.0
    print(f"mean ms/page: bare {base['all']['ms_per_page']:.1f}  newsdesk {ours['all']['ms_per_page']:.1f}  "
          f"(newsdesk/bare {ratio:.2f}x, throughput {1 / ratio if ratio else 0:.2f}x of bare)")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
