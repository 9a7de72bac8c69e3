"""Near-duplicate detection: exact copies, syndicated wire copies, light rewrites.

A text is normalised (NFKC, lower case, punctuation dropped, CJK split per character),
cut into overlapping 3-word shingles and summarised by a 126-value MinHash signature.
Locality-sensitive hashing (42 bands of 3 values) proposes candidates whose Jaccard
similarity may be above about 0.3; each candidate is then verified by estimating
*containment* from the two signatures and shingle counts::

    intersection ~= J * (|A| + |B|) / (1 + J)
    overlap       = intersection / min(|A|, |B|)

so a wire story republished with an extra paragraph of local boilerplate, or cut after
80% of its text, still scores close to 1.0, while two outlets' own reports of the same
event share few 3-word runs and score low. (3 words rather than 5: one edited word
breaks fewer shingles, so light rewrites keep a high overlap.)

Only canonical documents enter the LSH buckets: a copy points at its canonical and is not
indexed itself, so 10,000 republications of one wire story occupy one slot per band and a
lookup costs the same as with one copy. Texts under ``MIN_WORDS`` words are matched only
when title and text are identical after normalisation.

Signatures are plain bytes (``signature()``), so the caller can store them next to the
article and rebuild the index at start-up with ``add_signature()``.

Memory is bounded by a time window, not by the archive: each document may be added with its
time, and ``forget_before(cutoff)`` drops those older than the cutoff (copies of them are
then new reporting); ``forget_older_than(age)`` measures the cutoff from the newest time
added. A long-running worker calls it as its clock moves; without it the index
would grow by about 4 KB per canonical document for as long as the process lives. Most
buckets hold a single id, stored as the id itself rather than a one-element list.
"""

from __future__ import annotations

import hashlib
import heapq
import re
import struct
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from ..words import runs

SHINGLE_WORDS = 3
MIN_WORDS = 30
BANDS, ROWS = 42, 3
NUM_PERM = BANDS * ROWS
_VERSION = 1
_HEADER = struct.Struct("<BHII16s")  # version, num_perm, words, shingles, exact digest
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
# Fixed forever: stored signatures depend on these. Change _VERSION if they ever change.
_rng = np.random.default_rng(0x5EED_D0C5)
_A = _rng.integers(1, 1 << 31, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=NUM_PERM, dtype=np.uint64)
_MULT = np.uint64(0x9E3779B97F4A7C15)

_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")


def words(text: str) -> list[str]:
    """Normalised word tokens: NFKC, lower case, no punctuation, one token per CJK character."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return runs(_CJK.sub(r" \1 ", text))


def _digest(*parts: list[str]) -> bytes:
    joined = "\x00".join(" ".join(p) for p in parts)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=16).digest()


def _shingle_hashes(tokens: list[str]) -> np.ndarray:
    """Distinct 32-bit hashes of the SHINGLE_WORDS-word runs of ``tokens``."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    word_hashes = np.array([int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8)
                                           .digest(), "little") for t in tokens], dtype=np.uint64)
    k = min(SHINGLE_WORDS, len(tokens))
    count = len(tokens) - k + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping arithmetic modulo 2**64 is intended
        for j in range(k):
            combined = combined * _MULT + word_hashes[j:j + count]
    folded = (combined >> np.uint64(32)) ^ (combined & _MASK32)
    return np.unique(folded)


def _minhash(hashes: np.ndarray) -> np.ndarray:
    if hashes.size == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    values = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, hashes.size, 2048):  # bounded memory for very long texts
        block = hashes[start:start + 2048, None]
        permuted = ((block * _A + _B) % _PRIME) & _MASK32
        values = np.minimum(values, permuted.min(axis=0))
    return values.astype(np.uint32)


@dataclass(frozen=True)
class Signature:
    """What the index keeps per document; ``to_bytes()`` is what the caller stores."""

    minhash: np.ndarray  # NUM_PERM uint32
    words: int
    shingles: int
    digest: bytes  # exact-copy key: normalised text (long texts) or title + text (short ones)

    @property
    def short(self) -> bool:
        return self.words < MIN_WORDS

    def to_bytes(self) -> bytes:
        header = _HEADER.pack(_VERSION, NUM_PERM, self.words, self.shingles, self.digest)
        return header + self.minhash.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Signature":
        if len(data) < _HEADER.size:
            raise ValueError("not a dedup signature: too short")
        version, num_perm, n_words, n_shingles, digest = _HEADER.unpack_from(data)
        if version != _VERSION or num_perm != NUM_PERM:
            raise ValueError(f"dedup signature version {version}/{num_perm} is not "
                             f"{_VERSION}/{NUM_PERM}; recompute it from the text")
        values = np.frombuffer(data, dtype="<u4", offset=_HEADER.size)
        if values.size != NUM_PERM:
            raise ValueError("not a dedup signature: wrong length")
        return cls(values.astype(np.uint32), n_words, n_shingles, digest)


def make_signature(text: str, title: str = "") -> Signature:
    tokens = words(text)
    hashes = _shingle_hashes(tokens)
    digest = _digest(tokens) if len(tokens) >= MIN_WORDS else _digest(words(title), tokens)
    return Signature(_minhash(hashes), len(tokens), int(hashes.size), digest)


def estimate_overlap(a: Signature, b: Signature) -> tuple[float, float]:
    """(containment of the smaller text in the larger, Jaccard), both estimated."""
    if a.digest == b.digest:
        return 1.0, 1.0
    if a.short or b.short or not a.shingles or not b.shingles:
        return 0.0, 0.0
    jaccard = float(np.count_nonzero(a.minhash == b.minhash)) / NUM_PERM
    intersection = jaccard * (a.shingles + b.shingles) / (1.0 + jaccard)
    return min(1.0, intersection / min(a.shingles, b.shingles)), jaccard


def overlap(text_a: str, text_b: str) -> float:
    """Exact share of the smaller text's 3-word shingles found in the other (0..1).

    This is the figure shown to explain a merge: "87% of shingles shared".
    """
    a = set(_shingle_hashes(words(text_a)).tolist())
    b = set(_shingle_hashes(words(text_b)).tolist())
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass(frozen=True)
class DuplicateMatch:
    canonical_id: str
    overlap: float   # estimated containment, 0..1
    jaccard: float   # estimated Jaccard similarity, 0..1
    exact: bool

    def explain(self) -> str:
        if self.exact:
            return "identical text"
        return f"{round(self.overlap * 100)}% of shingles shared"


class DuplicateIndex:
    """Finds the canonical earlier copy of a text, in time independent of archive size."""

    def __init__(self, threshold: float = 0.8):
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self._signatures: dict[str, Signature] = {}
        self._canonical_of: dict[str, str] = {}
        self._exact: dict[bytes, str] = {}
        self._bands: list[dict[bytes, str | list[str]]] = [{} for _ in range(BANDS)]
        self._when: dict[str, float] = {}            # doc id -> timestamp, when given
        self._expiry: list[tuple[float, str]] = []   # heap of (timestamp, doc id)
        self._newest: float | None = None            # newest timestamp added

    @classmethod
    def from_settings(cls, settings) -> "DuplicateIndex":
        return cls(threshold=settings.dedup_threshold)

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._signatures

    @staticmethod
    def signature(text: str, title: str = "") -> bytes:
        return make_signature(text, title).to_bytes()

    @property
    def newest(self) -> datetime | None:
        """The newest time added (the end of the window ``forget_older_than`` keeps)."""
        return None if self._newest is None else datetime.fromtimestamp(self._newest, timezone.utc)

    def canonical(self, doc_id: str) -> str:
        return self._canonical_of.get(doc_id, doc_id)

    def bucket_sizes(self) -> list[int]:
        """Sizes of all LSH buckets (for monitoring and tests)."""
        return [1 if isinstance(ids, str) else len(ids)
                for band in self._bands for ids in band.values()]

    # ------------------------------------------------------------------ lookup
    def query(self, text: str, title: str = "", min_overlap: float | None = None
              ) -> list[DuplicateMatch]:
        """Indexed canonical documents overlapping ``text``, best first."""
        return self._query(make_signature(text, title), min_overlap)

    def query_signature(self, sig: bytes, min_overlap: float | None = None
                        ) -> list[DuplicateMatch]:
        return self._query(Signature.from_bytes(sig), min_overlap)

    def _query(self, sig: Signature, min_overlap: float | None) -> list[DuplicateMatch]:
        floor = self.threshold if min_overlap is None else min_overlap
        exact_id = self._exact.get(sig.digest)
        if exact_id is not None:
            exact_id = self.canonical(exact_id)
        candidates: set[str] = set()
        if not sig.short:
            for band, key in zip(self._bands, self._band_keys(sig)):
                ids = band.get(key)
                if isinstance(ids, str):
                    candidates.add(ids)
                elif ids:
                    candidates.update(ids)
        matches = []
        for doc_id in candidates:
            if doc_id == exact_id:
                continue
            contained, jaccard = estimate_overlap(sig, self._signatures[doc_id])
            if contained >= floor:
                matches.append(DuplicateMatch(doc_id, contained, jaccard, False))
        matches.sort(key=lambda m: (-m.overlap, -m.jaccard, m.canonical_id))
        if exact_id is not None:
            matches.insert(0, DuplicateMatch(exact_id, 1.0, 1.0, True))
        return matches

    # ------------------------------------------------------------------ update
    def add(self, doc_id: str, text: str, title: str = "", when: datetime | None = None
            ) -> DuplicateMatch | None:
        """Record a document; return its canonical earlier copy, or None if it is new.
        With ``when``, ``forget_before`` can drop it once it leaves the time window."""
        return self._add(doc_id, make_signature(text, title), when)

    def add_signature(self, doc_id: str, sig: bytes, when: datetime | None = None
                      ) -> DuplicateMatch | None:
        """Same as ``add`` from a stored signature (rebuilding the index at start-up)."""
        return self._add(doc_id, Signature.from_bytes(sig), when)

    def _add(self, doc_id: str, sig: Signature, when: datetime | None) -> DuplicateMatch | None:
        if doc_id in self._signatures:
            self.remove(doc_id)
        matches = self._query(sig, None)
        self._signatures[doc_id] = sig
        if when is not None:
            stamp = self._when[doc_id] = when.timestamp()
            heapq.heappush(self._expiry, (stamp, doc_id))
            self._newest = stamp if self._newest is None else max(self._newest, stamp)
        if matches:
            self._canonical_of[doc_id] = matches[0].canonical_id
            return matches[0]
        self._exact.setdefault(sig.digest, doc_id)
        if not sig.short:
            for band, key in zip(self._bands, self._band_keys(sig)):
                ids = band.get(key)
                if ids is None:
                    band[key] = doc_id
                elif isinstance(ids, str):
                    band[key] = [ids, doc_id]
                else:
                    ids.append(doc_id)
        return None

    def forget_before(self, cutoff: datetime) -> int:
        """Drop documents added with a time before ``cutoff``; returns how many."""
        return self._forget_until(cutoff.timestamp())

    def forget_older_than(self, age: timedelta) -> int:
        """Drop documents more than ``age`` older than the newest one added; how many."""
        if self._newest is None:
            return 0
        return self._forget_until(self._newest - age.total_seconds())

    def _forget_until(self, limit: float) -> int:
        heap, dropped = self._expiry, 0
        while heap and heap[0][0] < limit:
            stamp, doc_id = heapq.heappop(heap)
            if self._when.get(doc_id) == stamp:  # else re-added later or already removed
                self.remove(doc_id)
                dropped += 1
        return dropped

    def remove(self, doc_id: str) -> None:
        """Forget a document. Its copies keep pointing at it until they are re-added."""
        sig = self._signatures.pop(doc_id, None)
        if sig is None:
            return
        self._when.pop(doc_id, None)
        if self._canonical_of.pop(doc_id, None) is not None:
            return  # a copy: never entered the buckets
        if self._exact.get(sig.digest) == doc_id:
            del self._exact[sig.digest]
        if not sig.short:
            for band, key in zip(self._bands, self._band_keys(sig)):
                ids = band.get(key)
                if ids == doc_id:
                    del band[key]
                elif isinstance(ids, list) and doc_id in ids:
                    ids.remove(doc_id)
                    if len(ids) == 1:
                        band[key] = ids[0]

    @staticmethod
    def _band_keys(sig: Signature) -> list[bytes]:
        raw = sig.minhash.astype("<u4").tobytes()
        step = ROWS * 4
        return [raw[i * step:(i + 1) * step] for i in range(BANDS)]
