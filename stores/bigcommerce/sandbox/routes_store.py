"""Store information, channels and sites (research §10 `get_store.json`, §1.1 storefront URLs)."""

from __future__ import annotations

from typing import Any

from stores.bigcommerce.sandbox.framework import Ctx, Router, not_found, public, v3_page, v3_single
from stores.bigcommerce.sandbox.state import DEFAULT_CHANNEL_ID, rfc2822

router = Router()


@router.add("GET", "/v2/store", "information")
def store_information(ctx: Ctx) -> Any:
    store = ctx.store
    owner = store.owner
    return {
        "id": store.store_hash,
        "store_id": store.store_id,
        "name": store.name,
        "first_name": "Sandbox",
        "last_name": "Owner",
        "address": "1 Loopback Way\nAustin, Texas 78701\nUnited States",
        "country": "United States",
        "country_code": "US",
        "phone": "",
        "admin_email": owner["email"],
        "order_email": owner["email"],
        "favicon_url": "",
        "timezone": {
            "name": "Etc/UTC",
            "raw_offset": 0,
            "dst_offset": 0,
            "dst_correction": False,
            "date_format": {
                "display": "M jS Y",
                "export": "M jS Y",
                "extended_display": "M jS Y @ g:i A",
            },
        },
        "language": "en",
        "currency": "USD",
        "currency_symbol": "$",
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "currency_symbol_location": "left",
        "weight_units": "LBS",
        "dimension_units": "Inches",
        "dimension_decimal_places": "2",
        "dimension_decimal_token": ".",
        "dimension_thousands_token": ",",
        "plan_name": "Sandbox",
        "plan_level": "Sandbox",
        "plan_is_trial": False,
        "industry": "",
        "logo": [],
        "is_price_entered_with_tax": False,
        "default_channel_id": DEFAULT_CHANNEL_ID,
        "default_site_id": 1000 + DEFAULT_CHANNEL_ID,
        "active_comparison_modules": [],
        "domain": store.domain,
        "secure_url": f"https://{store.domain}",
        "control_panel_base_url": f"https://store-{store.store_hash}.mybigcommerce.com",
        "status": "live",
        "date_created": rfc2822(store.created_at),
        "features": {
            "stencil_enabled": True,
            "sitewidehttps_enabled": True,
            "facebook_catalog_id": "",
            "checkout_type": "optimized",
            "wishlists_enabled": True,
            "graphql_storefront_api_enabled": True,
            "shopper_consent_tracking_enabled": False,
            "multi_storefront_enabled": True,
            "storefront_limits": {"active_channels": len(store.channels), "total_channels": len(store.channels)},
        },
    }


@router.add("GET", "/v3/channels", ("channels", "information"))
def list_channels(ctx: Ctx) -> Any:
    channels = [public(c) for c in ctx.store.channels.values()]
    ids = ctx.int_list("id:in")
    if ids is not None:
        channels = [c for c in channels if c["id"] in ids]
    types = ctx.list_param("type:in")
    if types is not None:
        channels = [c for c in channels if c["type"] in types]
    return v3_page(ctx, channels)


def _channel(ctx: Ctx) -> dict[str, Any]:
    channel = ctx.store.channels.get(ctx.args["channel_id"])
    if channel is None:
        raise not_found("Channel not found.")
    return channel


@router.add("GET", "/v3/channels/{channel_id:int}", ("channels", "information"))
def get_channel(ctx: Ctx) -> Any:
    return v3_single(public(_channel(ctx)))


def _site_view(channel: dict[str, Any]) -> dict[str, Any]:
    site = dict(channel["_site"])
    site["urls"] = [
        {"url": site["url"], "type": "primary", "created_at": site["created_at"], "updated_at": site["updated_at"]},
        {"url": site["url"], "type": "canonical", "created_at": site["created_at"], "updated_at": site["updated_at"]},
    ]
    return site


@router.add("GET", "/v3/channels/{channel_id:int}/site", ("channels", "information"))
def get_channel_site(ctx: Ctx) -> Any:
    return v3_single(_site_view(_channel(ctx)))


@router.add("GET", "/v3/sites", ("channels", "information"))
def list_sites(ctx: Ctx) -> Any:
    sites = [_site_view(c) for c in ctx.store.channels.values()]
    channel_ids = ctx.int_list("channel_id:in")
    if channel_ids is not None:
        sites = [s for s in sites if s["channel_id"] in channel_ids]
    return v3_page(ctx, sites)
