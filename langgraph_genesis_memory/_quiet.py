"""Keep dependencies' import-time noise out of normal runs.

``tqdm.auto`` (imported by bm25s, huggingface_hub and sentence-transformers) warns
``TqdmWarning: IProgress not found`` when it is first imported in a Jupyter kernel without
ipywidgets, then falls back to plain text bars anyway. Importing it once here, with that one
warning ignored, gives every later importer the same fallback without the warning. Nothing else
is silenced.
"""

from __future__ import annotations

import warnings


def preload_tqdm() -> None:
    """Import ``tqdm.auto`` with only its "IProgress not found" warning ignored."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import tqdm.auto  # noqa: F401


preload_tqdm()
