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
  [backorder_ids, source]; `backorder_ids` are the backorders that became fully allocated
- ``backorders.partly_allocated`` in the same step, for the backorders that got units and still wait for
  more [backorder_ids, source]
- ``purchase_order.received`` when units of a purchase order arrived [purchase_order, receipt]
- ``variants.cap_reached`` when waiting backorders used up a variant's policy cap (availability refresh)
  [variants: list of {variant_id, product_id, version, cap, waiting_units}]
- ``stock_alert.subscribed`` when a shopper signed up (or signed up again after an alert or an
  unsubscribe) to hear when a sold-out item is back; not on a repeated click [subscription]
- ``variant.restocked`` when variants that could not be bought from stock can be again: units on hand
  beyond those owed to waiting backorders, or a sold-out variant became purchasable (availability
  refresh) [variant_ids]
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
