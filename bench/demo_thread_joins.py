"""Where the demo's threads go wrong, and what fixing it could be worth.

    python bench/demo_thread_joins.py DEMO.db

Replays the demo's threads as ``demo_threads.py`` does (the stage's ``THREAD_PARAMS``),
recording for each article the evidence of its best candidate thread: the TF-IDF part of the
score, the embedding similarity to the thread's mean, the nearest recent member's embedding
similarity and whether that member is from the article's own outlet. A join is *good* when
the article's topic label is the majority label of the thread it ends in. Prints the
evidence's means for good and bad joins, what a floor on the TF-IDF part would drop, each
outlet's share of war-labelled releases, and ceilings: the threads' B-cubed scores with
articles moved by their labels (genre threads fixed; the largest threads cleaned; the war
whole), on the tuning and reporting parts.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_threads import LABELS, load_labels, read_demo, score  # noqa: E402

from newsdesk.stories.cluster import StoryClusterer  # noqa: E402
from newsdesk.stories.events import EventClusterer  # noqa: E402
from newsdesk.stories.stage import THREAD_PARAMS  # noqa: E402


class Recording(StoryClusterer):
    """Keeps, per article, (mixed score, TF-IDF part, similarity to the mean, nearest
    member's similarity, nearest member's id) of each candidate compared with embeddings."""

    def __init__(self, **params):
        super().__init__(**params)
        self.seen: dict = defaultdict(list)
        self._doc = None

    def add(self, doc, embedding=None, outlet=None, outlets=None):
        self._doc = doc.id
        return super().add(doc, embedding, outlet=outlet, outlets=outlets)

    def _mix(self, score, a, b, exemplars=()):
        mixed = super()._mix(score, a, b, exemplars)
        members = [e for e in exemplars if e[3] is not None]
        if members and b is not None and a is not None:
            near = max(members, key=lambda e: float(e[3] @ b))
            sim = float(a @ b) / (float(np.linalg.norm(a) * np.linalg.norm(b)) or 1.0)
            self.seen[self._doc].append((mixed, score, sim, float(near[3] @ b), near[0]))
        return mixed


def main(argv=None) -> int:
    db = Path((argv or sys.argv[1:])[0])
    items = read_demo(db)
    labels = load_labels(LABELS)
    threads = Recording(**THREAD_PARAMS)
    events = EventClusterer(threads.vectorizer)
    outlet, slug, joined, story_of = {}, {}, {}, {}
    for article, feats, source, s in items:
        outlet[article.id], slug[article.id] = source, s
        doc = feats.doc(article, "auto")
        thread = threads.add(doc, feats.given_embedding("auto"), outlet=source, outlets=events.outlets)
        story_of[article.id] = events.add(doc, outlet=source, thread_id=thread.story_id).story_id
        if not thread.is_new and threads.seen.get(article.id):
            joined[article.id] = max(threads.seen[article.id])
    pred = {a: threads.resolve(events.story(s).thread_id) for a, s in story_of.items()}
    label = {a: labels.get(s) for a, s in slug.items()}
    members = defaultdict(list)
    for a, t in pred.items():
        members[t].append(a)
    major = {t: Counter(label[a] for a in m if label[a]).most_common(1)[0][0]
             for t, m in members.items() if any(label[a] for a in m)}

    rows = [(label[a] == major[pred[a]], tf, sim, near, outlet[nid] == outlet[a])
            for a, (_, tf, sim, near, nid) in joined.items() if label[a]]
    good = np.array([r[1:] for r in rows if r[0]], dtype=float)
    bad = np.array([r[1:] for r in rows if not r[0]], dtype=float)
    print(f"joins of labelled articles compared with embeddings: {len(good)} good, {len(bad)} bad")
    for i, name in enumerate(("TF-IDF part", "embedding to the thread mean",
                              "nearest member's embedding", "nearest member from the same outlet")):
        print(f"  {name:<38} good {good[:, i].mean():.3f}  bad {bad[:, i].mean():.3f}")
    for floor in (0.05, 0.08, 0.1, 0.12, 0.15):
        print(f"  a TF-IDF floor of {floor}: drops {int((good[:, 0] < floor).sum())} good "
              f"and {int((bad[:, 0] < floor).sum())} bad joins")
    war = Counter(outlet[a] for a in pred if label[a] == "war")
    every = Counter(outlet[a] for a in pred if label[a])
    print("war-labelled releases by outlet:", {o: f"{war[o]} of {every[o]}" for o in sorted(every)})

    largest = sorted(members, key=lambda t: -len(members[t]))
    off = {a for a in pred if label[a] and label[a] != major[pred[a]]}

    def alone(moved):
        return {a: (("alone", a) if a in moved else t) for a, t in pred.items()}
    ceilings = [
        ("as the stage places them", pred),
        ("off-topic members of the 2nd and 3rd largest threads alone (genre threads)",
         alone({a for a in off if pred[a] in largest[1:3]})),
        ("off-topic members of the 3 largest threads alone", alone({a for a in off if pred[a] in largest[:3]})),
        ("every war article in one thread", {a: ("war" if label[a] == "war" else t) for a, t in pred.items()}),
    ]
    for name, p in ceilings:
        res = score(labels, items, p)
        print(f"{name:<75} " + " | ".join(f"{k} P {P:.3f} R {R:.3f} F1 {F:.3f}"
                                          for k, (P, R, F, _) in res.items() if k != "all"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
