"""The ``genesis-memory`` command line."""
