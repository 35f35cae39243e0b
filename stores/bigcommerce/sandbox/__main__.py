"""Command line: `python -m stores.bigcommerce.sandbox serve|seed|install|place-order|ship|restock|status`.

`serve` runs the sandbox in the foreground; the other commands talk to a running sandbox's control API
(`--url`, default http://127.0.0.1:8001) and print its JSON answer.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import urllib.error
import urllib.request
from typing import Any

from stores.bigcommerce.sandbox.server import SandboxServer
from stores.bigcommerce.sandbox.state import ALL_SCOPES

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _call(base_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base_url.rstrip("/") + "/_sandbox" + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with _opener.open(request, timeout=60) as response:
            payload, status = response.read(), response.status
    except urllib.error.HTTPError as exc:
        payload, status = exc.read(), exc.code
    except OSError as exc:
        print(f"cannot reach the sandbox at {base_url}: {exc}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(json.loads(payload or b"null"), indent=2))
    except ValueError:
        print(payload.decode("utf-8", "replace"))
    return 0 if status < 400 else 1


def _line_items(specs: list[str]) -> list[dict[str, int]]:
    """'v:67:2' -> variant 67 x2; 'p:111:1' -> product 111 x1."""
    items = []
    for spec in specs:
        kind, item_id, quantity = spec.split(":")
        key = {"v": "variant_id", "p": "product_id"}[kind]
        items.append({key: int(item_id), "quantity": int(quantity)})
    return items


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    sandbox = SandboxServer(
        args.host,
        args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        app_base_url=args.app_base_url,
        rate_limit_quota=args.rate_limit_quota,
        rate_limit_window_ms=args.rate_limit_window_ms,
    )
    if args.store_hash:
        sandbox.create_store(args.store_hash, seed=args.seed)
    print(f"BigCommerce sandbox on {sandbox.base_url} (API and login host); control API at /_sandbox/")
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.serve_forever()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stores.bigcommerce.sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the sandbox in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--client-id", default="backorder-local-client-id")
    serve.add_argument(
        "--client-secret", default="backorder-local-client-secret-for-the-sandbox-store-0123456789abcdef"
    )
    serve.add_argument("--app-base-url", default="http://localhost:8000")
    serve.add_argument("--store-hash", default="sandbox1", help="create this store at start ('' for none)")
    serve.add_argument("--seed", type=int, default=42, help="seed of the demo catalog of that store")
    serve.add_argument("--rate-limit-quota", type=int, default=150)
    serve.add_argument("--rate-limit-window-ms", type=int, default=30000)

    def client_command(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--url", default="http://127.0.0.1:8001", help="base URL of the running sandbox")
        command.add_argument("--store", default="sandbox1", help="store hash")
        return command

    seed = client_command("seed", "create the store (if needed) and seed a demo catalog")
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--products", type=int, default=240)

    install = client_command("install", "install the app on the store through its auth callback")
    install.add_argument("--scopes", default=" ".join(ALL_SCOPES))
    install.add_argument("--external", action="store_true", help="start from the marketplace (external_install)")
    install.add_argument("--print-url", action="store_true", help="only print the auth URL")

    order = client_command("place-order", "check out like a shopper (409 when stock + backorder limit is short)")
    order.add_argument("items", nargs="+", help="v:<variant_id>:<qty> or p:<product_id>:<qty>")
    order.add_argument("--email", default="shopper@example.com")
    order.add_argument("--status-id", type=int, default=11)

    ship = client_command("ship", "ship everything left on an order")
    ship.add_argument("order_id", type=int)

    restock = client_command("restock", "set (or with --relative, change) on-hand stock")
    target = restock.add_mutually_exclusive_group(required=True)
    target.add_argument("--variant-id", type=int)
    target.add_argument("--product-id", type=int)
    target.add_argument("--sku")
    restock.add_argument("--quantity", type=int, required=True)
    restock.add_argument("--relative", action="store_true")

    status = client_command("status", "show a store, or change an order's status with --order/--status-id")
    status.add_argument("--order", type=int)
    status.add_argument("--status-id", type=int)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    store = f"/stores/{args.store}"
    if args.command == "seed":
        exists = urllib.request.Request(args.url.rstrip("/") + "/_sandbox" + store)
        try:
            _opener.open(exists, timeout=10).close()
        except urllib.error.HTTPError:
            return _call(
                args.url, "POST", "/stores", {"store_hash": args.store, "seed": args.seed, "products": args.products}
            )
        except OSError as exc:
            print(f"cannot reach the sandbox at {args.url}: {exc}", file=sys.stderr)
            return 2
        return _call(args.url, "POST", f"{store}/seed", {"seed": args.seed, "products": args.products})
    if args.command == "install":
        body = {"scopes": args.scopes.split(), "external": args.external, "perform": not args.print_url}
        return _call(args.url, "POST", f"{store}/install", body)
    if args.command == "place-order":
        body = {"products": _line_items(args.items), "email": args.email, "status_id": args.status_id}
        return _call(args.url, "POST", f"{store}/orders", body)
    if args.command == "ship":
        return _call(args.url, "POST", f"{store}/orders/{args.order_id}/ship", {})
    if args.command == "restock":
        body = {
            "quantity": args.quantity,
            "relative": args.relative,
            "variant_id": args.variant_id,
            "product_id": args.product_id,
            "sku": args.sku,
        }
        return _call(args.url, "POST", f"{store}/restock", body)
    if args.order is not None and args.status_id is not None:
        return _call(args.url, "POST", f"{store}/orders/{args.order}/status", {"status_id": args.status_id})
    if args.order is not None:
        return _call(args.url, "GET", f"{store}/orders/{args.order}")
    return _call(args.url, "GET", store)


if __name__ == "__main__":
    sys.exit(main())
