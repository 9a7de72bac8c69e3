"""Does a set of articles fall apart into two? The sparsest cut of their nearest-neighbour
graph, found by a sweep over the graph's Fiedler vector (spectral partitioning: Shi & Malik's
normalised cut, with the sweep whose conductance Cheeger's inequality bounds).

Each article links to its ``k`` most similar others (links made symmetric). Two sets of
articles that mostly link among themselves (two Google News stories that share a subject,
"Kanye West", and little else) give a cut of low conductance: the links across it are few
next to the links on its smaller side. A thread that is one topic has no such cut, whatever
its size or how broad it is; this is why the test reads links, not distances to centroids
(a 2-means split of the embeddings separates pure threads as readily as mixed ones).
"""

from __future__ import annotations

import numpy as np


def knn_graph(sims: np.ndarray, k: int) -> np.ndarray:
    """Symmetric 0/1 adjacency: i and j are linked when either is among the other's ``k``
    most similar (ties broken by position, so the graph is the same on every run)."""
    n = len(sims)
    sims = sims.copy()
    np.fill_diagonal(sims, -np.inf)
    k = min(k, n - 1)
    near = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    adj = np.zeros((n, n), dtype=np.float64)
    adj[np.repeat(np.arange(n), k), near.ravel()] = 1.0
    return np.maximum(adj, adj.T)


def sparsest_cut(adj: np.ndarray, min_side: int) -> tuple[float, np.ndarray] | None:
    """(conductance, boolean mask of one side) of the best sweep cut along the Fiedler vector
    of the normalised Laplacian, over cuts leaving at least ``min_side`` nodes on each side;
    None when the graph is too small for such a cut. Conductance = links across / the
    smaller side's summed degree (0: two unlinked parts)."""
    n = len(adj)
    if n < 2 * max(min_side, 1):
        return None
    deg = adj.sum(axis=1)
    inv = 1.0 / np.sqrt(np.maximum(deg, 1e-12))
    lap = np.eye(n) - inv[:, None] * adj * inv[None, :]
    _, vecs = np.linalg.eigh(lap)
    order = np.argsort(vecs[:, 1] * inv, kind="stable")
    # links from each node into the growing side, accumulated along the sweep
    inside = np.zeros(n, dtype=bool)
    total = deg.sum()
    cut = vol = 0.0
    best: tuple[float, np.ndarray] | None = None
    for rank, node in enumerate(order[:-1], start=1):
        cut += deg[node] - 2.0 * adj[node, inside].sum()
        inside[node] = True
        vol += deg[node]
        if min(rank, n - rank) < min_side:
            continue
        conductance = cut / max(min(vol, total - vol), 1e-12)
        if best is None or conductance < best[0]:
            best = (conductance, inside.copy())
    return best
