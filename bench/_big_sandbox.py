"""A sandbox BigCommerce with a large catalog, in its own process (used by bench/catalog_sync.py).

Prints "READY <base_url> <token>" once the catalog is built, then serves until killed.
"""

import argparse
import sys
import time

from stores.bigcommerce.sandbox import SandboxServer
from stores.bigcommerce.sandbox import catalog as sandbox_catalog


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--variants-per-product", type=int, default=3)
    parser.add_argument("--store-hash", default="benchbig")
    args = parser.parse_args()
    sandbox = SandboxServer(client_id="bench", client_secret="bench-secret" * 4, app_base_url="http://127.0.0.1:9")
    sandbox.create_store(args.store_hash, name="Bench Big Store")
    started = time.monotonic()
    with sandbox.state.lock:
        store = sandbox.state.store(args.store_hash)
        store.muted = True
        top = sandbox_catalog.create_category(store, "Everything")["id"]
        for index in range(1, args.products + 1):
            sandbox_catalog.create_product(
                store,
                {
                    "name": f"Bench product {index:06d}", "type": "physical", "weight": 1, "price": 10 + index % 50,
                    "sku": f"BP-{index:06d}", "categories": [top], "inventory_tracking": "variant",
                    "variants": [
                        {"sku": f"BP-{index:06d}-{n}", "inventory_level": (index + n) % 7,
                         "option_values": [{"option_display_name": "Size", "label": f"S{n}"}]}
                        for n in range(args.variants_per_product)
                    ],
                },
            )  # fmt: skip
        store.muted = False
    token = sandbox.issue_token(args.store_hash, client_id="bench")
    sandbox.start()
    print(f"READY {sandbox.base_url} {token} built_in_s={time.monotonic() - started:.1f}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
