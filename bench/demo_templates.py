"""Experiment: the thread level's embedding of a lede without the outlet's template.

    python bench/demo_templates.py DEMO.db --mode words --cut 0.3 [--mode ngrams --share 0.05]

Replays the demo's threads as ``demo_threads.py`` does, but the thread clusterer's embedding
is MiniLM of ``embed_text`` with the outlet's routine material taken out first, learned
online from the outlet's earlier items only:

- ``words``: the words whose stem the outlet uses in many of its items (the event level's
  ``OutletTerms`` weight below ``cut``, read with the thread level's prior), as the TF-IDF
  side damps them;
- ``ngrams``: the runs of words covered by a word n-gram (``n``) the outlet has used in at
  least ``share`` of its earlier items (plus a prior of ``outlet_prior`` items without it).

- ``names``: only the words that name something (``text.name_stems``) the outlet rarely
  names (weight at least ``cut``);
- ``prefix``: the longest headline opening the outlet has begun ``share`` of its headlines
  with.

A text with nothing left (under ``--min-words``) has no embedding (compared on words alone).
``--scope`` says where the stripped embedding replaces the stored one: everywhere, in the
nearest-member term only, or for threads of the article's own outlet alone. Scores on the demo's
thread labels (tuning / reporting parts) beside the stored embeddings, same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_threads import LABELS, load_labels, read_demo, score  # noqa: E402
from demo_threads import replay as replay_threads  # noqa: E402

from newsdesk.stories.cluster import StoryClusterer  # noqa: E402
from newsdesk.stories.embed import shared_embedder  # noqa: E402
from newsdesk.stories.stage import THREAD_PARAMS  # noqa: E402
from newsdesk.stories.story import embed_text  # noqa: E402
from newsdesk.stories.text import name_stems, words as stems  # noqa: E402
from newsdesk.words import WORD, word  # noqa: E402


def norm_words(text: str) -> list[str]:
    return [word(m.group().lower()) for m in WORD.finditer(text)]


class NgramTemplates:
    def __init__(self, n: int, share: float, prior: int):
        self.n, self.share, self.prior = n, share, prior
        self.df: dict[str, Counter] = defaultdict(Counter)
        self.items: Counter = Counter()

    def strip(self, outlet: str, text: str) -> str:
        toks = text.split()
        keys = [" ".join(norm_words(t)) for t in toks]
        grams = [tuple(keys[i:i + self.n]) for i in range(len(keys) - self.n + 1)]
        limit = self.share * (self.items[outlet] + self.prior)
        drop = set()
        df = self.df[outlet]
        for i, g in enumerate(grams):
            if df.get(g, 0) >= limit:
                drop.update(range(i, i + self.n))
        self.items[outlet] += 1
        df.update(set(grams))
        return " ".join(t for i, t in enumerate(toks) if i not in drop)


class PrefixTemplates(NgramTemplates):
    """The longest headline prefix (up to ``n`` words) the outlet has started at least
    ``share`` of its earlier headlines with ("Greetings on opening of", "Telephone
    conversation with") is taken out of the headline; the lede is left alone."""

    def strip(self, outlet: str, text: str, title: str = "") -> str:
        toks = title.split()
        keys = [" ".join(norm_words(t)) for t in toks]
        prefixes = [tuple(keys[:k]) for k in range(1, min(self.n, len(keys)) + 1)]
        limit = self.share * (self.items[outlet] + self.prior)
        df = self.df[outlet]
        cut = max((len(p) for p in prefixes if df.get(p, 0) >= limit), default=0)
        self.items[outlet] += 1
        df.update(prefixes)
        return " ".join(toks[cut:]) + text[len(title):] if cut else text


def strip_words(text: str, outlet: str, outlets, prior: float, cut: float, lang) -> str:
    out = []
    for tok in text.split():
        s = stems(tok, lang)
        if s and min(outlets.weight(outlet, x, prior) for x in s) < cut:
            continue
        out.append(tok)
    return " ".join(out)


def keep_names(text: str, outlet: str, outlets, prior: float, cut: float, lang) -> str:
    """Only the words that name something (``text.name_stems``) the outlet rarely names."""
    named = name_stems(text, lang)
    out = []
    for tok in text.split():
        s = stems(tok, lang)
        if s and all(x in named and outlets.weight(outlet, x, prior) >= cut for x in s):
            out.append(tok)
    return " ".join(out)


class Scoped(StoryClusterer):
    """``--scope link``: the nearest-recent-member term of the embedding side compares the
    stripped embeddings (the thread's mean stays on the stored ones); ``--scope single``: a
    thread made of the article's own outlet alone is compared on the stripped embeddings
    (mean and nearest member), any other on the stored ones."""

    def __init__(self, scope: str, outlet_of: dict, **params):
        super().__init__(**params)
        self.scope, self.outlet_of, self.stripped = scope, outlet_of, {}
        self._doc, self._by_exemplars = None, {}

    def add(self, doc, embedding=None, outlet=None, outlets=None):
        self._doc = doc.id
        self._by_exemplars = {id(s.exemplars): s for s in self._stories.values()}
        return super().add(doc, embedding, outlet=outlet, outlets=outlets)

    def _mix(self, score, a, b, exemplars=()):
        mine = self.stripped.get(self._doc)
        if self.scope == "link" and self._mixed(a, b) and exemplars and mine is not None:
            nears = [float(self.stripped[e[0]] @ mine) for e in exemplars
                     if self.stripped.get(e[0]) is not None]
            if nears:
                sim = float(a @ b) / (float(np.linalg.norm(a) * np.linalg.norm(b)) or 1.0)
                sim = (1 - self.link) * sim + self.link * max(nears)
                return (1 - self.embed_weight) * score + self.embed_weight * sim
        story = self._by_exemplars.get(id(exemplars)) if exemplars else None
        if (self.scope == "single" and story is not None and b is not None
                and all(self.outlet_of[m] == self.outlet_of[self._doc] for m in story.members)):
            own = [v for v in (self.stripped.get(m) for m in story.members) if v is not None]
            if mine is None or not own:
                return score  # nothing but the template: words alone
            exemplars = [(i, t, v, self.stripped.get(i)) for i, t, v, _ in exemplars]
            return super()._mix(score, np.sum(own, axis=0), mine, exemplars)
        return super()._mix(score, a, b, exemplars)


def replay(items, embed, mode: str, **opts):
    """(article id -> thread id, stories, how many texts lost a template part)."""
    scope = opts.get("scope", "all") if mode != "stored" else "all"
    threads = (StoryClusterer(**THREAD_PARAMS) if scope == "all" else
               Scoped(scope, {a.id: o for a, _, o, _ in items}, **THREAD_PARAMS))
    kind = PrefixTemplates if mode == "prefix" else NgramTemplates
    grams = kind(opts["n"], opts["share"], threads.outlet_prior) if mode in ("ngrams", "prefix") else None
    changed = 0

    def embedding(doc, given, outlet, events):
        nonlocal changed
        if mode == "stored" or given is None:
            return given
        text = embed_text(doc)
        if mode == "words":
            new = strip_words(text, outlet, events.outlets, threads.outlet_prior, opts["cut"], doc.language)
        elif mode == "names":
            new = keep_names(text, outlet, events.outlets, threads.outlet_prior, opts["cut"], doc.language)
        elif mode == "prefix":
            new = grams.strip(outlet, text, doc.title)
        else:
            new = grams.strip(outlet, text)
        if new != text:
            changed += 1
        mine = given if new == text else (embed(new) if len(new.split()) >= opts["min_words"] else None)
        if scope == "all":
            return mine
        threads.stripped[doc.id] = mine
        return given
    placed, stories = replay_threads(items, threads, embedding)
    return {aid: tid for aid, (_, tid) in placed.items()}, stories, changed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", type=Path)
    ap.add_argument("--mode", action="append", default=[])
    ap.add_argument("--cut", type=float, nargs="*", default=[0.3])
    ap.add_argument("--share", type=float, nargs="*", default=[0.05])
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--min-words", type=int, default=3)
    ap.add_argument("--scope", choices=("all", "link", "single"), default="all",
                    help="where the stripped embedding is used (see Scoped; default: everywhere)")
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args(argv)
    items = read_demo(args.db)
    labels = load_labels(LABELS)
    model = shared_embedder()
    memo: dict[str, object] = {}

    def embed(text: str):
        if text not in memo:
            memo[text] = model.encode([text])[0]
        return memo[text]

    runs = [("stored", {})]
    for mode in args.mode:
        for v in (args.cut if mode in ("words", "names") else args.share):
            runs.append((mode, {"cut": v} if mode in ("words", "names") else {"share": v}))
    for mode, opt in runs:
        t = time.time()
        pred, stories, changed = replay(items, embed, mode, n=args.n, min_words=args.min_words,
                                        cut=opt.get("cut"), share=opt.get("share"), scope=args.scope)
        sizes = sorted(Counter(t for t in (s[2] for s in stories.values())).values(), reverse=True)
        res = score(labels, items, pred)
        biggest = Counter(pred.values()).most_common(1)[0][0]
        topics = Counter(labels[s] for a, _, _, s in items if s in labels and pred[a.id] == biggest)
        off = sum(topics.values()) - topics.most_common(1)[0][1]
        print(f"{mode:<7} {opt} changed {changed} ({time.time() - t:.0f}s) threads {len(sizes)} "
              f"largest {sizes[:6]} (off its topic: {off}) | " + " | ".join(
                  f"{k} P {p:.3f} R {r:.3f} F1 {f:.3f}" for k, (p, r, f, _) in res.items() if k != "all"),
              flush=True)
        if args.show:
            by = defaultdict(list)
            for sid, (title, when, tid) in stories.items():
                by[tid].append((when, title))
            for tid, mem in sorted(by.items(), key=lambda kv: -len(kv[1]))[1:args.show]:
                print(f"  thread {len(mem)}: " + " / ".join(t[:50] for _, t in sorted(mem)[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
