"""The incentive offer e-mail: sent when the timeline says a coupon was created for a waiting shopper
(backorder.services.incentives records `incentive_offered` in the transaction that marks it created)."""

from backorder import events
from backorder.models import Backorder, BackorderEvent


def on_incentive_offered(*, name: str, backorder: Backorder, event: BackorderEvent, **_) -> None:
    from notifications.services import shopper_mail

    details = event.details or {}
    shopper_mail(
        kind="incentive_offer",
        key=f"incentive:{details.get('incentive_id') or backorder.pk}",
        backorder=backorder,
        context={
            "coupon_code": details.get("code", ""),
            "discount": f"{details.get('percent', '')}%",
            "expires_on": details.get("expires_on"),
        },
    )


def listeners_connect() -> None:
    events.listen("backorder.incentive_offered", on_incentive_offered)
