"""Sign-up -> usable store: cloning the template schema vs running every migration (median of N each).

Run: ./bin/bench provisioning   (or: python -m bench.provisioning --runs 10 with DATABASE_URL set)
"""

import argparse
import json
import statistics
import time

from bench import _django


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    _django.setup()

    from django.db import connection, transaction
    from django_tenants.utils import quote_schema_name

    from stores import provisioning, services
    from stores.models import Store, User

    schema_seconds: list[float] = []

    def timed(func):
        def run(**kwargs):
            started = time.perf_counter()
            try:
                return func(**kwargs)
            finally:
                schema_seconds.append(time.perf_counter() - started)

        return run

    def sign_up(label: str, run: int, by_migrations: bool) -> float:
        name = f"Bench {label} {run} {time.time_ns()}"
        started = time.perf_counter()
        if by_migrations:
            original = provisioning.store_schema_create
            provisioning.store_schema_create = timed(provisioning.store_schema_create_by_migrations)
            try:
                result = services.store_sign_up(
                    email=f"{time.time_ns()}@bench.example", password="bench-pass-2026!", store_name=name
                )
            finally:
                provisioning.store_schema_create = original
        else:
            original = provisioning.store_schema_create
            provisioning.store_schema_create = timed(original)
            try:
                result = services.store_sign_up(
                    email=f"{time.time_ns()}@bench.example", password="bench-pass-2026!", store_name=name
                )
            finally:
                provisioning.store_schema_create = original
        elapsed = time.perf_counter() - started
        made.append(result.store)
        return elapsed

    made: list[Store] = []
    cloned, migrated = [], []
    try:
        for run in range(args.runs):  # interleaved, so both see the same machine noise
            cloned.append(sign_up("clone", run, by_migrations=False))
            migrated.append(sign_up("migrate", run, by_migrations=True))
    finally:
        with transaction.atomic():
            for store in made:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {quote_schema_name(store.schema_name)} CASCADE")
                User.objects.filter(memberships__store=store).delete()
                store.delete()

    result = {
        "signup_to_ready_clone_median_ms": round(statistics.median(cloned) * 1000, 1),
        "signup_to_ready_migrate_median_ms": round(statistics.median(migrated) * 1000, 1),
        "runs": args.runs,
        "schema_step_clone_median_ms": round(statistics.median(schema_seconds[0::2]) * 1000, 1),
        "schema_step_migrate_median_ms": round(statistics.median(schema_seconds[1::2]) * 1000, 1),
        "clone_ms": [round(x * 1000) for x in cloned],
        "migrate_ms": [round(x * 1000) for x in migrated],
    }
    result["signup_speedup"] = round(statistics.median(migrated) / statistics.median(cloned), 2)
    result["schema_step_speedup"] = round(
        statistics.median(schema_seconds[1::2]) / statistics.median(schema_seconds[0::2]), 2
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
