"""What a thread page's "since" choice costs to compute, on a real database (the demo's).

For the thread with the most stories: the offline timeline over its stories read as one
(the newest ``MAX_STORIES_DOCS`` articles), once per "since" choice a reader can make
(since the thread began, each of its last 5 days). Baseline, in the same run: the same
timelines with the per-text sentence cache cleared before each (every text re-split,
re-stemmed and re-checked, as before the cache). The page waits ``ai_page_wait`` (1 s by
default) before it shows "in progress" and polls.

Usage: python bench/thread_since_bench.py newsdesk-data/demo.db
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from newsdesk.ai import model  # noqa: E402
from newsdesk.ai.provider import OfflineProvider  # noqa: E402
from newsdesk.ai.service import Subject, subject_docs  # noqa: E402
from newsdesk.settings import Settings  # noqa: E402
from newsdesk.storage.db import Database  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).exists():
        print(__doc__)
        return 2
    settings = Settings(database_url=f"sqlite:///{sys.argv[1]}", data_dir=str(Path(sys.argv[1]).parent))
    db = Database.open(settings)
    with db.read() as conn:
        thread_id = conn.execute(text("SELECT thread_id FROM stories WHERE thread_id IS NOT NULL "
                                      "GROUP BY thread_id ORDER BY count(*) DESC LIMIT 1")).scalar()
        stories = [r[0] for r in conn.execute(text("SELECT id FROM stories WHERE thread_id = :t"),
                                             {"t": thread_id})]
    docs, _ = subject_docs(db, Subject.of("story", stories))
    last = max(d.day for d in docs)
    choices = [None] + [last - timedelta(days=k) for k in range(1, 6)]
    provider = OfflineProvider()
    print(f"thread {thread_id}: {len(stories)} stories, {len(docs)} documents read, "
          f"{sum(len(d.text) for d in docs):,} characters; {len(choices)} since choices")

    def run(cold: bool) -> list[float]:
        times = []
        for since in choices:
            if cold:
                model._sentences.cache_clear()
                model._language.cache_clear()
            started = time.perf_counter()
            provider.run("timeline", docs, since=since)
            times.append(time.perf_counter() - started)
        return times

    run(False)   # warm the stemmer and the cache once, as a running site is
    cold, warm = run(True), run(False)
    print(f"{'':28}{'median':>9}{'max':>9}")
    print(f"{'baseline: texts re-read':28}{statistics.median(cold):9.3f}{max(cold):9.3f}  s")
    print(f"{'sentence cache warm':28}{statistics.median(warm):9.3f}{max(warm):9.3f}  s"
          f"   ({statistics.median(cold) / statistics.median(warm):.1f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
