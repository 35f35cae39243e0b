"""Domain events the backorder app announces to the apps built on it (notifications, alerts).

`backorder` must not import the apps that depend on it, so they subscribe here from their
`AppConfig.ready()`. Events are published *inside* the transaction that caused them, so a listener that
writes rows (an e-mail outbox, say) commits or rolls back together with the change itself. Listeners
must therefore be quick, do no outbound I/O and raise only when the whole change should fail.

Events published (payload keys in brackets):
- ``backorder.<timeline kind>`` for every line added to a backorder's timeline through
  `backorder_event_record` (captured, delayed, brought_forward, shipped, cancelled, refunded, …)
  [backorder, event]
- ``backorders.allocated`` after set-based FIFO allocation gave units to backorders
  [backorder_ids, source]
"""

from collections import defaultdict
from collections.abc import Callable

Listener = Callable[..., None]

_listeners: dict[str, list[Listener]] = defaultdict(list)


def listen(name: str, listener: Listener) -> None:
    """Call `listener(**payload)` whenever `name` is published; `"backorder.*"` matches every timeline kind."""
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def publish(name: str, **payload) -> None:
    """Tell every listener of `name` (and of its `<prefix>.*` wildcard) in the caller's transaction."""
    prefix = name.split(".", 1)[0]
    for listener in (*_listeners.get(name, ()), *_listeners.get(f"{prefix}.*", ())):
        listener(name=name, **payload)
