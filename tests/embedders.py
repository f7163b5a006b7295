"""A small deterministic embedder for tests of models of any dimension.

Random indexing: each word (lower-cased letters and digits) has a fixed random
unit vector, seeded by its sha256; a text's embedding is the normalised sum of
its words' vectors. Texts that share words are close, texts that share none are
nearly orthogonal: enough to tell whether a search answered from the right model,
at any number of dimensions, offline and in microseconds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[a-z0-9]+")


class WordsEmbedder:
    def __init__(self, model_name: str, dimensions: int) -> None:
        self.model_name = model_name
        self.dimensions = dimensions
        self._cache: dict[str, npt.NDArray[np.float64]] = {}

    def _word(self, word: str) -> npt.NDArray[np.float64]:
        vec = self._cache.get(word)
        if vec is None:
            seed = int.from_bytes(hashlib.sha256(f"{self.model_name}/{word}".encode()).digest()[:8])
            vec = np.random.default_rng(seed).standard_normal(self.dimensions)
            self._cache[word] = vec
        return vec

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float64)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()) or ["empty"]:
                out[i] += self._word(word)
            out[i] /= np.linalg.norm(out[i])
        return out.astype(np.float32)


def words_384() -> WordsEmbedder:
    return WordsEmbedder("words-384", 384)


def words_1536() -> WordsEmbedder:
    return WordsEmbedder("words-1536", 1536)


def words_3072() -> WordsEmbedder:
    return WordsEmbedder("words-3072", 3072)
