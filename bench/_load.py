"""HTTP load on loopback, bounded in time: wrk when installed, else a small Python client."""

import http.client
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests_per_second: float
    p99_ms: float | None
    non_2xx: int
    tool: str


def run_load(*, port: int, path: str, host: str, seconds: int = 8, connections: int = 8) -> LoadResult:
    if shutil.which("wrk"):
        return _wrk(port=port, path=path, host=host, seconds=seconds, connections=connections)
    return _python(port=port, path=path, host=host, seconds=seconds, connections=connections)


def _wrk(*, port, path, host, seconds, connections) -> LoadResult:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Host: {host}",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return LoadResult(
        requests_per_second=rps,
        p99_ms=float(p99.group(1)) * scale[p99.group(2)] if p99 else None,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        tool="wrk",
    )


def _python(*, port, path, host, seconds, connections) -> LoadResult:
    deadline = time.monotonic() + seconds
    counts, errors, latencies = [0] * connections, [0] * connections, [[] for _ in range(connections)]

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Host": host})
            response = conn.getresponse()
            response.read()
            latencies[i].append((time.perf_counter() - started) * 1000)
            counts[i] += 1
            if not 200 <= response.status < 400:
                errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged = sorted(x for lat in latencies for x in lat)
    return LoadResult(
        requests_per_second=sum(counts) / seconds,
        p99_ms=merged[int(len(merged) * 0.99)] if merged else None,
        non_2xx=sum(errors),
        tool="python",
    )
