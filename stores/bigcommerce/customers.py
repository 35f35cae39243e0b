"""BigCommerce customers as the app meets them: the storefront's Current Customer token, a customer's group, and
the store's customer groups.

The Current Customer API (research: bigcommerce/docs `docs/start/authentication/current-customer.mdx`,
`reference/current_customer.yml`): a storefront script asks `/customer/current.jwt?app_client_id=<client id>`
on the store's own domain; for a signed-in shopper BigCommerce answers a JWT (HS256, signed with the app's client
secret, valid 15 minutes) whose claims are
`{"customer": {"id", "email", "group_id": "6"}, "iss": "bc/apps", "sub": "<store hash>", "iat", "exp",
"version": 1, "aud": "<client id>", "application_id", "store_hash", "operation": "current_customer"}`; for a
guest it answers 404. `group_id` is a string in BigCommerce's example; a shopper in no group counts as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt
from django.conf import settings

GUESTS = 0  # BigCommerce's customer group id of guests and of shoppers in no group
# BigCommerce's clock and ours drift a little; the token lives 15 minutes.
CLOCK_LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ["aud", "exp", "customer", "store_hash"]


class CustomerTokenRefused(Exception):
    """A Current Customer token that cannot be trusted; the message says why, for the storefront's 401."""


@dataclass(frozen=True)
class CurrentCustomer:
    """The signed-in shopper a verified Current Customer token names."""

    customer_id: int
    customer_group_id: int


def current_customer_verify(token: str, *, store_hash: str) -> CurrentCustomer:
    """The shopper of a Current Customer token, if BigCommerce signed it for this app and this store: HS256
    only, signed with the app's client secret, `aud` = the app's client id, `store_hash` = this store's, not
    expired (a minute's leeway), and a `current_customer` token (not another kind the secret signs).
    Anything else raises CustomerTokenRefused with a sentence a developer can act on."""
    if not store_hash:
        raise CustomerTokenRefused("This store is not connected to BigCommerce, so no customer token can be checked.")
    try:
        claims = jwt.decode(
            token,
            settings.BIGCOMMERCE_CLIENT_SECRET,
            algorithms=["HS256"],
            audience=settings.BIGCOMMERCE_CLIENT_ID,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise CustomerTokenRefused(
            "customer_jwt has expired; ask the storefront's /customer/current.jwt for a new one."
        ) from None
    except jwt.InvalidAudienceError:
        raise CustomerTokenRefused("customer_jwt was issued for another app (its `aud` is not this app).") from None
    except jwt.MissingRequiredClaimError as exc:
        raise CustomerTokenRefused(f"customer_jwt has no `{exc.claim}` claim.") from None
    except jwt.InvalidSignatureError:
        raise CustomerTokenRefused("customer_jwt is not signed by BigCommerce for this app.") from None
    except jwt.PyJWTError:
        raise CustomerTokenRefused(
            "customer_jwt is not a token of BigCommerce's Current Customer API (an HS256 JWT)."
        ) from None
    if claims.get("operation", "current_customer") != "current_customer":
        raise CustomerTokenRefused("customer_jwt is not a Current Customer token.")
    if str(claims["store_hash"]) != store_hash:
        raise CustomerTokenRefused("customer_jwt belongs to another store.")
    customer = claims["customer"]
    try:
        customer_id = int(customer["id"])
    except (KeyError, TypeError, ValueError):
        raise CustomerTokenRefused("customer_jwt names no customer id.") from None
    return CurrentCustomer(customer_id=customer_id, customer_group_id=_group(customer.get("group_id")))


def _group(value) -> int:
    """BigCommerce's `group_id` ("6", 6, "", "0" or null) as a group id; no group is 0."""
    try:
        group = int(value or 0)
    except (TypeError, ValueError):
        raise CustomerTokenRefused("customer_jwt has a customer group id that is not a number.") from None
    if group < 0:
        raise CustomerTokenRefused("customer_jwt has a negative customer group id.")
    return group


def customer_group_of(*, client, customer_id: int) -> int:
    """The customer group a BigCommerce customer is in now (`GET /v3/customers?id:in=`), 0 for a guest
    (customer id 0), for a customer in no group, and for one BigCommerce no longer has. Orders carry only
    `customer_id`, not the group (research: orders v2 has no group field)."""
    if not customer_id:
        return GUESTS
    found = (client.get("/v3/customers", params={"id:in": str(customer_id)}) or {}).get("data") or []
    return int((found[0] if found else {}).get("customer_group_id") or GUESTS)


def customer_groups_read(*, client) -> list[dict]:
    """The store's customer groups (`GET /v2/customer_groups`, every page) as `{"id", "name",
    "is_group_for_guests"}`, by id."""
    groups = [
        {"id": int(group["id"]), "name": str(group.get("name") or ""),
         "is_group_for_guests": bool(group.get("is_group_for_guests"))}
        for group in client.iter_v2("/v2/customer_groups")
    ]  # fmt: skip
    return sorted(groups, key=lambda group: group["id"])
