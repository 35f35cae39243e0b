"""The customer groups a merchant can choose for a policy: the store's BigCommerce customer groups, read from
BigCommerce when the policy editor asks (kept a few minutes), with guests (0) first."""

import logging

from django.core.cache import cache
from django.db import connection

from backorder.models import Policy
from backorder.models.policy import GUESTS
from stores.bigcommerce import errors

logger = logging.getLogger(__name__)

GROUPS_SECONDS = 5 * 60  # a group created in BigCommerce shows in the editor within five minutes
GUESTS_NAME = "Guests and shoppers in no group"


def customer_groups_offered(*, store) -> dict:
    """`{"groups": [{"id", "name", "is_group_for_guests", "in_bigcommerce"}], "bigcommerce": bool,
    "message": str}`: guests (0) first, then the store's BigCommerce customer groups by id, then any group a
    saved policy names that BigCommerce does not list (deleted since, or BigCommerce could not be asked), so the
    editor never hides what a policy is for. BigCommerce is asked at most every GROUPS_SECONDS per store, with
    short timeouts; when it cannot be, `bigcommerce` is false and `message` says why."""
    from stores.bigcommerce.connection import client_for
    from stores.bigcommerce.customers import customer_groups_read

    key = f"customer-groups:{connection.schema_name}"
    found, message = cache.get(key), ""
    if found is None and not store.bigcommerce_store_hash:
        message = "Connect the store to BigCommerce to choose among its customer groups."
    elif found is None:
        try:
            client = client_for(store)
            client.timeout, client.max_retries, client.rate_limit_retries = (3.05, 5), 1, 0  # a merchant waits
            found = customer_groups_read(client=client)
            cache.set(key, found, GROUPS_SECONDS)
        except errors.ForbiddenScopeError:
            message = "The app may not read customer groups: reinstall it to grant the customers scope."
        except errors.BigCommerceError as exc:
            logger.info("Customer groups not read from BigCommerce: %s", exc)
            message = "BigCommerce could not be asked for the customer groups just now; the ids are shown."
    groups = [{"id": GUESTS, "name": GUESTS_NAME, "is_group_for_guests": False, "in_bigcommerce": True}]
    groups += [{**group, "in_bigcommerce": True} for group in found or [] if group["id"] != GUESTS]
    known = {group["id"] for group in groups}
    named = sorted({group for ids in Policy.objects.exclude(customer_group_ids=[]).values_list(
        "customer_group_ids", flat=True) for group in ids} - known)  # fmt: skip
    groups += [{"id": group, "name": f"Group {group}", "is_group_for_guests": False, "in_bigcommerce": False}
               for group in named]  # fmt: skip
    return {"groups": groups, "bigcommerce": found is not None, "message": message}
