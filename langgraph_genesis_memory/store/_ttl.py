"""Time-to-live policy: which TTL (in minutes) an item gets when it is written.

Resolution order for one put (first that applies wins):

1. the ``ttl`` passed to ``put``/``aput`` (a number of minutes, a memory layer's name, or
   ``None`` for "never");
2. the namespace policy of the item's first label (:data:`DEFAULT_NAMESPACE_TTL`, overridable
   per store with ``namespace_ttl=``);
3. ``TTLConfig["default_ttl"]`` of the store (LangGraph's ``TTLConfig``);
4. no expiry.

TTLs are in minutes everywhere, as in LangGraph's ``TTLConfig``. Wherever a TTL is accepted
(``put(..., ttl=)``, ``namespace_ttl``, ``default_ttl``, the session manager), the name of a
memory layer (:data:`MEMORY_LAYERS`) may be given instead of minutes:

==============  ====================  =========================================================
layer           minutes               for
==============  ====================  =========================================================
``ephemeral``   15                    seconds to minutes: a turn's scratch values
``session``     1,440 (24 hours)      hours: one conversation (the ``short_term`` namespace)
``short_term``  43,200 (30 days)      days to weeks: what an agent learned (``agent``)
``long_term``   259,200 (180 days)    weeks to months: shared business context (``business``)
``permanent``   ``None`` (never)      configuration, schemas (``system``)
==============  ====================  =========================================================

Note the ``short_term`` *namespace* (a session's scratchpad) uses the ``session`` layer, not
the ``short_term`` layer. Layers are overridable: ``TTLPolicy(layers={"session": 120})`` (and the
session manager's ``layers=``) maps a name to other minutes; a number always works too.
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

TTLValue = float | int | str | None
"""A TTL as accepted by the TTL policy: minutes, a memory layer's name, or ``None`` (never)."""

MEMORY_LAYERS: Mapping[str, float | None] = MappingProxyType(
    {
        "ephemeral": 15,  # seconds to minutes
        "session": 24 * 60,  # hours: one conversation
        "short_term": 30 * MINUTES_PER_DAY,  # days to weeks
        "long_term": 180 * MINUTES_PER_DAY,  # weeks to months
        "permanent": None,  # never expires
    }
)
"""The memory layers: TTL in minutes by name (``None``: never expires); see the module docstring.
"""

DEFAULT_NAMESPACE_LAYERS: Mapping[str, str] = MappingProxyType(
    {
        "agent": "short_term",  # one agent's learned knowledge: 30 days
        "business": "long_term",  # shared business context: 180 days
        "system": "permanent",  # configuration, schemas: never expires
        "short_term": "session",  # session scratchpad: 24 hours
    }
)
"""The default namespace policies, as memory layers by first namespace label."""

DEFAULT_NAMESPACE_TTL: Mapping[str, float | None] = MappingProxyType(
    {label: MEMORY_LAYERS[layer] for label, layer in DEFAULT_NAMESPACE_LAYERS.items()}
)
"""Default TTL in minutes by first namespace label (:data:`DEFAULT_NAMESPACE_LAYERS` in
minutes: ``agent`` 43,200, ``business`` 259,200, ``system`` ``None``, ``short_term`` 1,440);
``None`` means never expires."""


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


def layers_with(overrides: Mapping[str, object] | None = None) -> dict[str, float | None]:
    """The memory layers with ``overrides`` merged over :data:`MEMORY_LAYERS`.

    Args:
        overrides: Layer name -> minutes (``None``: never expires); new names add layers.

    Returns:
        Layer name -> minutes.

    Raises:
        ConfigurationError: If a name is not a non-empty string or a TTL is not ``None`` or a
            positive number of minutes up to 100 years.
    """
    merged: dict[str, float | None] = dict(MEMORY_LAYERS)
    for name, minutes in (overrides or {}).items():
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"A memory layer's name is a non-empty string; got {name!r}.")
        merged[name] = check_ttl(minutes, f"layers[{name!r}]")
    return merged


def resolve_ttl(
    ttl: object,
    what: str = "ttl",
    error: type[ValueError] = ConfigurationError,
    layers: Mapping[str, float | None] | None = None,
) -> float | None:
    """A TTL in minutes from minutes or a memory layer's name.

    Args:
        ttl: ``None`` (never), a positive number of minutes, or a layer name
            (``"ephemeral"``, ``"session"``, ``"short_term"``, ``"long_term"``, ``"permanent"``).
        what: Its name in messages.
        error: The error to raise.
        layers: The layers to look names up in (default :data:`MEMORY_LAYERS`).

    Returns:
        Minutes, or ``None`` for "never expires".

    Raises:
        ConfigurationError: (or ``error``) For an unknown name or a bad number.

    Example:
        >>> resolve_ttl("session"), resolve_ttl(30), resolve_ttl("permanent")
        (1440.0, 30.0, None)
    """
    if isinstance(ttl, str):
        table = MEMORY_LAYERS if layers is None else layers
        if ttl not in table:
            raise error(
                f"{what} {ttl!r} is not a memory layer; use one of {sorted(table)} or a number "
                "of minutes (None: never expires)."
            )
        minutes = table[ttl]
        return None if minutes is None else float(minutes)
    return check_ttl(ttl, what, error)


class TTLPolicy:
    """Resolve the TTL of each write and whether reads refresh it.

    Args:
        ttl_config: LangGraph's ``TTLConfig``: ``default_ttl`` (minutes or a layer name),
            ``refresh_on_read`` (default ``True``), ``sweep_interval_minutes``.
        namespace_ttl: Overrides of :data:`DEFAULT_NAMESPACE_TTL`, merged over it (minutes or
            layer names); map a label to ``None`` to make that namespace never expire.
        layers: Overrides of :data:`MEMORY_LAYERS` (name -> minutes), for names given here and
            to ``put(..., ttl=name)``. The default namespace policies keep their minutes.

    Raises:
        ConfigurationError: If a TTL is not ``None``, a positive number of minutes or a layer.
    """

    def __init__(
        self,
        ttl_config: TTLConfig | None = None,
        namespace_ttl: Mapping[str, TTLValue] | None = None,
        layers: Mapping[str, float | None] | None = None,
    ) -> None:
        self.layers = layers_with(layers)
        self.config: TTLConfig = dict(ttl_config or {})  # type: ignore[assignment]
        self.default_ttl = resolve_ttl(
            self.config.get("default_ttl"), "default_ttl", layers=self.layers
        )
        merged: dict[str, TTLValue] = dict(DEFAULT_NAMESPACE_TTL)
        merged.update(namespace_ttl or {})
        self.namespace_ttl = {
            label: resolve_ttl(ttl, f"namespace_ttl[{label!r}]", layers=self.layers)
            for label, ttl in merged.items()
        }
        self.refresh_on_read = bool(self.config.get("refresh_on_read", True))
        interval = self.config.get("sweep_interval_minutes")
        self.sweep_interval_minutes = check_ttl(interval, "sweep_interval_minutes")

    def resolve(self, namespace: tuple[str, ...], ttl: TTLValue | NotProvided) -> float | None:
        """Return the TTL in minutes for a put into ``namespace`` (``None``: never expires).

        Args:
            namespace: The item's namespace.
            ttl: The per-put TTL (minutes or a layer name), or ``NOT_PROVIDED`` to apply the
                policies.

        Raises:
            InvalidArgumentError: If ``ttl`` is not ``None``, a layer name or a positive number
                of minutes up to 100 years.
        """
        if ttl is not NOT_PROVIDED and not isinstance(ttl, NotProvided):
            return resolve_ttl(ttl, "ttl", InvalidArgumentError, self.layers)
        if namespace and namespace[0] in self.namespace_ttl:
            return self.namespace_ttl[namespace[0]]
        return self.default_ttl

    def refresh(self, refresh_ttl: bool | None) -> bool:
        """Whether a read refreshes TTLs: the op's ``refresh_ttl`` if given, else the config."""
        return self.refresh_on_read if refresh_ttl is None else bool(refresh_ttl)
