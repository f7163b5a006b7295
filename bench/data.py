"""Deterministic benchmark data (fixed seeds): synthetic clusters, and a MiniLM corpus.

(a) ``synthetic(n)``: 384-d unit vectors drawn around a few hundred gaussian
    centroids (spread mostly within a shared 32-d subspace, like sentence
    embeddings), each row with a text made of its cluster's topic words (so full-text
    and hybrid search have something to find), a memory type, an importance, and
    tags. Selectivity tags (``sel50``, ``sel10``, ``sel1``, ``sel01``) are put on an
    exact, random share of the rows (50 %, 10 %, 1 %, 0.1 %), independent of the
    clusters: the hard case for a filtered approximate search.
(b) ``minilm_corpus(n)``: short English sentences generated from templates, to be
    embedded with the real MiniLM embedder (``pgcortex.embedding``).

Queries are drawn from the same distribution but are not rows of the data set.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

DIM = 384
MEMORY_TYPES = (
    "conversation",
    "business_fact",
    "strategic_insight",
    "user_preference",
    "process_knowledge",
    "market_intelligence",
    "technical_knowledge",
    "relationship",
)
#: Selectivity tag -> share of rows carrying it.
SELECTIVITY: dict[str, float] = {"sel50": 0.5, "sel10": 0.1, "sel1": 0.01, "sel01": 0.001}
SYNTHETIC_MODEL = "bench-synthetic-384"

F32 = npt.NDArray[np.float32]


@dataclass(slots=True)
class Dataset:
    """Rows to load and queries to run, all derived from fixed seeds."""

    name: str
    model: str
    vectors: F32
    contents: list[str]
    memory_types: list[str]
    importances: npt.NDArray[np.int16]
    tags: list[list[str]]
    query_vectors: F32
    query_texts: list[str]
    #: tag -> boolean mask over the rows that carry it
    tag_masks: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.contents)


def normalize(x: npt.NDArray[np.floating]) -> F32:
    x = np.asarray(x, dtype=np.float32)
    out: F32 = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
    return out


def pseudo_words(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct pronounceable non-words of three syllables (no stop words)."""
    onsets = [*"bdfgklmnprstvz", "br", "kr", "tr", "st", "pl", "gr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou"]
    syllables = [c + v for c in onsets for v in vowels]
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < count:
        picks = rng.integers(0, len(syllables), size=3)
        word = "".join(syllables[i] for i in picks) + "n"
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def synthetic(
    n: int,
    *,
    n_queries: int,
    n_centroids: int = 300,
    latent_dim: int = 32,
    latent_spread: float = 0.2,
    spread: float = 0.03,
    topic_words: int = 12,
    seed: int = 20260601,
    dim: int = DIM,
    model: str | None = None,
) -> Dataset:
    """Clustered synthetic rows (see the module docstring); same seed, same data.
    ``dim``: the vectors' dimensions (384 by default; the isotropic noise is scaled
    by sqrt(384 / dim) so that the clusters are as tight at every dimension)."""
    rng = np.random.default_rng(seed)
    centroids = normalize(rng.standard_normal((n_centroids, dim)))
    # Spread mostly along a shared low-dimensional subspace (sentence embeddings have
    # a low intrinsic dimension), plus a little isotropic noise.
    basis = np.linalg.qr(rng.standard_normal((dim, latent_dim)))[0].astype(np.float32)
    iso_spread = spread * float(np.sqrt(DIM / dim))

    def draw(centre: F32, g: np.random.Generator) -> F32:
        latent = g.standard_normal((len(centre), latent_dim)).astype(np.float32)
        iso = g.standard_normal((len(centre), dim)).astype(np.float32)
        return normalize(centre + (latent * latent_spread) @ basis.T + iso * iso_spread)

    vocab = pseudo_words(n_centroids * topic_words + 2000, rng)
    topics = [vocab[c * topic_words : (c + 1) * topic_words] for c in range(n_centroids)]
    general = vocab[n_centroids * topic_words :]

    cluster = rng.integers(0, n_centroids, size=n)
    vectors = np.empty((n, dim), dtype=np.float32)
    step = 50_000
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        vectors[lo:hi] = draw(centroids[cluster[lo:hi]], rng)

    topic_pick = rng.integers(0, topic_words, size=(n, 5))
    general_pick = rng.integers(0, len(general), size=(n, 6))
    type_pick = rng.integers(0, len(MEMORY_TYPES), size=n)
    importances = rng.integers(1, 6, size=n).astype(np.int16)
    contents = []
    for i in range(n):
        words = [topics[cluster[i]][j] for j in topic_pick[i]]
        words += [general[j] for j in general_pick[i]]
        contents.append(f"note {i} about " + " ".join(words))
    memory_types = [MEMORY_TYPES[t] for t in type_pick]

    tag_masks: dict[str, npt.NDArray[np.bool_]] = {}
    for tag, share in SELECTIVITY.items():
        mask = np.zeros(n, dtype=bool)
        mask[rng.choice(n, size=max(1, round(n * share)), replace=False)] = True
        tag_masks[tag] = mask
    tags = []
    for i in range(n):
        row = [f"topic{cluster[i]}"]
        row += [tag for tag, mask in tag_masks.items() if mask[i]]
        tags.append(row)

    qrng = np.random.default_rng(seed + 1)
    q_cluster = qrng.integers(0, n_centroids, size=n_queries)
    query_vectors = draw(centroids[q_cluster], qrng)
    q_words = qrng.integers(0, topic_words, size=(n_queries, 2))
    query_texts = [" ".join(topics[q_cluster[i]][j] for j in q_words[i]) for i in range(n_queries)]
    return Dataset(
        name="synthetic",
        model=model or (SYNTHETIC_MODEL if dim == DIM else f"bench-synthetic-{dim}"),
        vectors=vectors,
        contents=contents,
        memory_types=memory_types,
        importances=importances,
        tags=tags,
        query_vectors=query_vectors,
        query_texts=query_texts,
        tag_masks=tag_masks,
    )


# -- (b) a generated English corpus for the real embedder ---------------------------

_SUBJECTS = [
    "The customer",
    "Our CFO",
    "The Berlin office",
    "The sales team",
    "Maria from legal",
    "The new intern",
    "Our biggest client",
    "The support desk",
    "The board",
    "The CTO",
    "The marketing lead",
    "The London warehouse",
    "Our main supplier",
    "The data team",
    "The product manager",
    "The night shift",
    "The auditor",
    "Our investor",
    "The design team",
    "The recruiter",
    "The Tokyo partner",
    "The finance department",
    "The security team",
    "The HR manager",
    "The onboarding group",
    "Our competitor",
    "The regional director",
    "The IT helpdesk",
    "The research lab",
    "The logistics partner",
]
_VERBS = [
    "prefers",
    "asked about",
    "complained about",
    "approved",
    "rejected",
    "wants to expand",
    "is worried about",
    "recommended",
    "cancelled",
    "postponed",
    "negotiated",
    "reviewed",
    "needs a report on",
    "is excited about",
    "raised concerns over",
    "signed off on",
    "is researching",
    "scheduled a meeting about",
    "reported a problem with",
    "praised",
]
_OBJECTS = [
    "quarterly revenue",
    "the cloud migration",
    "weekly status emails",
    "the pricing model",
    "vendor contracts",
    "the mobile app",
    "remote work policy",
    "the hiring plan",
    "customer churn",
    "the annual budget",
    "data privacy rules",
    "the product roadmap",
    "shipping delays",
    "the loyalty program",
    "server costs",
    "the office move",
    "invoice automation",
    "the onboarding process",
    "market expansion into Asia",
    "the security audit",
    "supplier prices",
    "the training schedule",
    "dark mode in the app",
    "faster delivery times",
    "the API rate limits",
    "green energy sourcing",
    "the brand refresh",
    "late payments",
    "the support backlog",
    "machine learning pilots",
    "the Q3 forecast",
    "coffee machine upgrades",
    "the parking situation",
    "early morning meetings",
    "short summaries",
    "detailed spreadsheets",
    "video calls",
    "the European launch",
    "inventory shortages",
    "the partner program",
]
_WHEN = [
    "last week",
    "in the Monday meeting",
    "during the quarterly review",
    "by email",
    "on the phone",
    "yesterday",
    "twice this month",
    "at the offsite",
    "in a Slack thread",
    "before the deadline",
    "after the incident",
    "in writing",
    "during lunch",
    "this morning",
    "at the kickoff",
    "without much detail",
    "with strong conviction",
    "for the second time",
]


def minilm_corpus(n: int, *, n_queries: int, seed: int = 20260602) -> tuple[list[str], list[str]]:
    """``n`` distinct short sentences and ``n_queries`` questions (different wording)."""
    combos = list(
        itertools.product(
            range(len(_SUBJECTS)), range(len(_VERBS)), range(len(_OBJECTS)), range(len(_WHEN))
        )
    )
    if n > len(combos):
        raise ValueError(f"the template corpus has {len(combos)} sentences at most")
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(combos), size=n, replace=False)
    texts = []
    for p in picks:
        s, v, o, w = combos[p]
        texts.append(f"{_SUBJECTS[s]} {_VERBS[v]} {_OBJECTS[o]} {_WHEN[w]}.")
    q_subject = rng.integers(0, len(_SUBJECTS), size=n_queries)
    q_object = rng.integers(0, len(_OBJECTS), size=n_queries)
    queries = [
        f"what does {_SUBJECTS[s].lower()} think about {_OBJECTS[o]}?"
        for s, o in zip(q_subject, q_object, strict=True)
    ]
    return texts, queries
