"""Full catalog sync of a large store from the sandbox: wall time, peak memory, API requests, before and after.

The sandbox (10,000 products x 3 variants by default) runs in its own process, with BigCommerce's default
rate limit (150 requests / 30 s); how long it took to build its catalog is reported too. Each sync runs in a
process of its own (bench/_catalog_sync_once.py) into a fresh store schema: this checkout's code, and, for
the same-run comparison, the code of `--before` (a commit, extracted with `git archive` into a temporary
directory, syncing into a database of its own that its code migrated; `--before none` skips it). The two
sides alternate (before, after, then after, before, ...), so a machine that gets busier or quieter during the
run weighs on both alike.
Run: ./bin/bench sync [--products 10000] [--rounds 2] [--before e17224c]
     (or: python -m bench.catalog_sync ... with DATABASE_URL set)
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "e17224c"  # the sync before issue 17's set-based writes and reading ahead


def sandbox_start(products: int, variants_per_product: int) -> tuple[subprocess.Popen, str, str, float]:
    """The sandbox in its own process, once its catalog is built: (process, API URL, token, build seconds)."""
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "bench._big_sandbox", "--products", str(products),
         "--variants-per-product", str(variants_per_product)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    ready = sandbox.stdout.readline().split()
    if not ready or ready[0] != "READY":
        sandbox.kill()
        raise RuntimeError("the sandbox did not start")
    built = float(ready[3].split("=")[1]) if len(ready) > 3 else float("nan")
    return sandbox, ready[1], ready[2], built


def code_of(commit: str, into: Path) -> Path:
    """The repository's files at `commit`, extracted into `into` (git archive: the checkout is untouched)."""
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def database_of_its_own(tree: Path, suffix: str) -> dict:
    """The environment for running `tree`'s code against a database of its own (`<DATABASE_URL's name>_<suffix>`,
    made afresh and migrated by that code): older code cannot write to a schema later migrations changed."""
    import psycopg

    base = os.environ["DATABASE_URL"]
    parts = urlsplit(base)
    name = (parts.path.lstrip("/") or "backorder") + f"_{suffix}"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=tree, env=env, check=True,
                   capture_output=True)  # fmt: skip
    return env


def sync_once(tree: Path, api_url: str, token: str, env: dict | None = None) -> dict:
    """One full sync by the code in `tree`, in a process of its own."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "_catalog_sync_once.py"), "--tree", str(tree),
         "--api-url", api_url, "--token", token],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the sync by {tree} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(runs: list[dict]) -> dict:
    """The median of each figure over the rounds (the runs themselves are kept)."""
    first = runs[0]
    return {
        "products": first["products"],
        "variants": first["variants"],
        "status": "done" if all(r["status"] == "done" for r in runs) else "failed",
        "wall_seconds": round(statistics.median(r["wall_seconds"] for r in runs), 2),
        # CPU of the syncing process and of its PostgreSQL server process: what the sync costs, whatever else
        # the machine is doing (wall time on a busy machine also counts the waits for a core).
        "app_cpu_seconds": round(statistics.median(r["app_cpu_seconds"] for r in runs), 2),
        "database_cpu_seconds": _median_or_none([r["database_cpu_seconds"] for r in runs]),
        "api_requests": max(r["api_requests"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "peak_rss_growth_during_sync_mb": max(r["peak_rss_growth_during_sync_mb"] for r in runs),
        "runs_wall_seconds": [r["wall_seconds"] for r in runs],
    }


def _median_or_none(values: list) -> float | None:
    return None if None in values else round(statistics.median(values), 2)


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--variants-per-product", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="syncs per side, alternating")
    parser.add_argument("--before", default=BASELINE, help="commit to compare with, or 'none'")
    args = parser.parse_args()
    sandbox, api_url, token, built_seconds = sandbox_start(args.products, args.variants_per_product)
    try:
        with tempfile.TemporaryDirectory(prefix="sync-before-") as tmp:
            sides = {"after": ROOT}
            envs: dict[str, dict | None] = {"after": None}
            if args.before != "none":
                sides = {"before": code_of(args.before, Path(tmp)), "after": ROOT}
                envs["before"] = database_of_its_own(sides["before"], "sync_before")
            runs: dict[str, list[dict]] = {side: [] for side in sides}
            for round_number in range(args.rounds):
                order = list(sides) if round_number % 2 == 0 else list(reversed(sides))
                for side in order:
                    result = sync_once(sides[side], api_url, token, envs[side])
                    print(f"round {round_number + 1}, {side}: {json.dumps(result)}", file=sys.stderr, flush=True)
                    runs[side].append(result)
    finally:
        sandbox.kill()
    result = summary(runs["after"]) | {"sandbox_catalog_built_seconds": built_seconds}
    if "before" in runs:
        before = summary(runs["before"])
        result |= {
            "before": before | {"commit": args.before},
            "speedup": round(before["wall_seconds"] / result["wall_seconds"], 2),
        }
        if result["database_cpu_seconds"] is not None and before["database_cpu_seconds"] is not None:
            cpu_before = before["app_cpu_seconds"] + before["database_cpu_seconds"]
            cpu_after = result["app_cpu_seconds"] + result["database_cpu_seconds"]
            result["speedup_cpu"] = round(cpu_before / cpu_after, 2)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
