"""Read pickled embeddings without running them.

The original memory module pickled each embedding (a numpy float array, or a list
of floats) into a byte column. A pickle is a program: loading one with
:func:`pickle.loads` runs whatever callables it names, so a store file from
elsewhere must never be loaded that way. :func:`load_floats` uses an unpickler
whose ``find_class`` admits only the few callables numpy's own array pickles
reference (protocols 2 to 5, numpy 1.x and 2.x names); any other global, and any
persistent id, stops the load with :class:`UnsafePickleError` before anything is
called. The result must then be a one-dimensional array or list of real numbers.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt


class UnsafePickleError(ValueError):
    """The pickle names something other than a numpy float array or a list of floats."""


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as numpy's protocol 2 pickles use it (array bytes as latin-1)."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise UnsafePickleError(
            f"_codecs.encode is admitted for latin1 text only, not {encoding!r}"
        )
    return text.encode("latin1")


def _numpy_callables() -> dict[tuple[str, str], Callable[..., Any]]:
    multiarray: Any
    numeric: Any
    try:  # numpy 2
        from numpy._core import multiarray, numeric
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray, numeric
    found: dict[tuple[str, str], Callable[..., Any]] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
    }
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        found[(module, "_reconstruct")] = multiarray._reconstruct
        found[(module, "scalar")] = multiarray.scalar
    frombuffer = getattr(numeric, "_frombuffer", None)
    if frombuffer is not None:
        for module in ("numpy.core.numeric", "numpy._core.numeric"):
            found[(module, "_frombuffer")] = frombuffer
    return found


#: (module, name) -> the callable a numpy float array pickle may reference.
ADMITTED = _numpy_callables()


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return ADMITTED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"the pickle references {module}.{name}, which is not part of a numpy "
                "float array; it was not loaded"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("the pickle uses persistent ids; it was not loaded")


def load_floats(data: bytes) -> npt.NDArray[np.float64]:
    """The floats of a pickled numpy array or list of numbers, loaded without running it.

    Raises :class:`UnsafePickleError` when the pickle references anything else, and
    ValueError when it is not a pickle of a one-dimensional sequence of real numbers.
    """
    try:
        value = _RestrictedUnpickler(io.BytesIO(data)).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # a damaged pickle: any decoding error
        raise ValueError(f"not a readable pickle ({type(exc).__name__}: {exc})") from None
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu" or value.ndim != 1:
            raise ValueError(f"a pickled array of {value.dtype} with shape {value.shape}")
        return value.astype(np.float64)
    if isinstance(value, list | tuple):
        if not all(
            isinstance(x, int | float | np.floating | np.integer) and not isinstance(x, bool)
            for x in value
        ):
            raise ValueError("a pickled list that is not all numbers")
        return np.asarray(value, dtype=np.float64)
    raise ValueError(f"a pickled {type(value).__name__}, not an array of floats")


__all__ = ["ADMITTED", "UnsafePickleError", "load_floats"]
