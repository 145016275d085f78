"""Time-to-live policy: which TTL (in minutes) an item gets when it is written.

Resolution order for one put (first that applies wins):

1. the ``ttl`` passed to ``put``/``aput`` (a number of minutes, or ``None`` for "never");
2. the namespace policy of the item's first label (:data:`DEFAULT_NAMESPACE_TTL`, overridable
   per store with ``namespace_ttl=``);
3. ``TTLConfig["default_ttl"]`` of the store (LangGraph's ``TTLConfig``);
4. no expiry.

TTLs are in minutes everywhere, as in LangGraph's ``TTLConfig``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from langgraph.store.base import NOT_PROVIDED, NotProvided, TTLConfig

from langgraph_genesis_memory.errors import ConfigurationError, InvalidArgumentError

MINUTES_PER_DAY = 24 * 60

MAX_TTL_MINUTES = 100 * 366 * MINUTES_PER_DAY
"""The longest TTL accepted: 100 years (use ``None`` for "never expires")."""

DEFAULT_NAMESPACE_TTL: Mapping[str, float | None] = MappingProxyType(
    {
        "agent": 30 * MINUTES_PER_DAY,  # one agent's learned knowledge: 30 days
        "business": 180 * MINUTES_PER_DAY,  # shared business context: 180 days
        "system": None,  # configuration, schemas: never expires
        "short_term": 24 * 60,  # session scratchpad: 24 hours
    }
)
"""Default TTL in minutes by first namespace label; ``None`` means never expires."""


def check_ttl(
    ttl: object, what: str = "ttl", error: type[ValueError] = ConfigurationError
) -> float | None:
    """Check a TTL in minutes: ``None`` (never) or a positive number up to 100 years.

    Args:
        ttl: The TTL to check.
        what: Its name in messages.
        error: The error to raise (``ConfigurationError`` for settings,
            ``InvalidArgumentError`` for a call's argument).

    Raises:
        ConfigurationError: (or ``error``) Otherwise.
    """
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise error(f"{what} must be a number of minutes or None; got {ttl!r:.80}.")
    if isinstance(ttl, float) and not math.isfinite(ttl):
        raise error(f"{what} must be a finite number of minutes or None; got {ttl!r}.")
    if ttl <= 0:
        raise error(f"{what} must be positive (minutes); got {ttl!r}.")
    if ttl > MAX_TTL_MINUTES:
        raise error(
            f"{what} is {ttl!r} minutes, over 100 years; use None for items that never expire."
        )
    return float(ttl)


class TTLPolicy:
    """Resolve the TTL of each write and whether reads refresh it.

    Args:
        ttl_config: LangGraph's ``TTLConfig``: ``default_ttl`` (minutes), ``refresh_on_read``
            (default ``True``), ``sweep_interval_minutes``.
        namespace_ttl: Overrides of :data:`DEFAULT_NAMESPACE_TTL`, merged over it; map a label to
            ``None`` to make that namespace never expire.

    Raises:
        ConfigurationError: If a TTL is not ``None`` or a positive number of minutes.
    """

    def __init__(
        self,
        ttl_config: TTLConfig | None = None,
        namespace_ttl: Mapping[str, float | None] | None = None,
    ) -> None:
        self.config: TTLConfig = dict(ttl_config or {})  # type: ignore[assignment]
        self.default_ttl = check_ttl(self.config.get("default_ttl"), "default_ttl")
        merged = dict(DEFAULT_NAMESPACE_TTL)
        merged.update(namespace_ttl or {})
        self.namespace_ttl = {
            label: check_ttl(ttl, f"namespace_ttl[{label!r}]") for label, ttl in merged.items()
        }
        self.refresh_on_read = bool(self.config.get("refresh_on_read", True))
        interval = self.config.get("sweep_interval_minutes")
        self.sweep_interval_minutes = check_ttl(interval, "sweep_interval_minutes")

    def resolve(self, namespace: tuple[str, ...], ttl: float | None | NotProvided) -> float | None:
        """Return the TTL in minutes for a put into ``namespace`` (``None``: never expires).

        Args:
            namespace: The item's namespace.
            ttl: The per-put TTL, or ``NOT_PROVIDED`` to apply the policies.

        Raises:
            InvalidArgumentError: If ``ttl`` is not ``None`` or a positive number of minutes
                up to 100 years.
        """
        if ttl is not NOT_PROVIDED and not isinstance(ttl, NotProvided):
            return check_ttl(ttl, "ttl", InvalidArgumentError)
        if namespace and namespace[0] in self.namespace_ttl:
            return self.namespace_ttl[namespace[0]]
        return self.default_ttl

    def refresh(self, refresh_ttl: bool | None) -> bool:
        """Whether a read refreshes TTLs: the op's ``refresh_ttl`` if given, else the config."""
        return self.refresh_on_read if refresh_ttl is None else bool(refresh_ttl)
