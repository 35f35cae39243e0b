"""Several hosts on one machine for the hardening tests: each host is a Linux network namespace with its own
address, ports and loopback, wired to a private LAN, so the production shape (a database host, web hosts,
worker hosts) runs here with real TCP between hosts, and a host can lose its link or all its processes.

    root namespace (the test driver, the sandbox BigCommerce)
        bo-<run>-gw  10.x.y.1/24
            |  veth
    bo-<run>-lan namespace: bridge br0 ---- veth <role> ---- bo-<run>-<role> namespace: eth0 10.x.y.10, .11, ...

The bridge lives in a namespace of its own, so the machine's firewall (br_netfilter, a FORWARD policy) never
sees the LAN's traffic and the root namespace gains one interface only. The /24 is random inside 10.0.0.0/8
and overlaps nothing the machine already routes.

Clean-up is guaranteed twice over: `network()` tears everything down in a `finally` (every process inside a
host namespace is SIGKILLed, then the namespaces and links deleted, then the run's directories removed), and
each run writes a record to RUNS before it creates anything, so that the next run removes what a crashed one
(its owner process gone) left behind. Records of live runs, another engineer's for instance, are left alone.
Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for `ip netns`); `namespaces_refused()` says why not.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

IP = shutil.which("ip") or "/usr/sbin/ip"
RUNS = Path("/run/backorder-hosts")  # one JSON record per run: its owner and what it created
LAN_DEVICE = "br0"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([IP, *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def namespaces_refused() -> str | None:
    """Why this machine cannot make hosts here (None when it can): `ip netns add`, a veth pair into it and a
    command run inside, tried once."""
    if not os.access(IP, os.X_OK):
        return "iproute2's ip command is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN); run the test as root"
    probe = f"bo-{secrets.token_hex(4)}-probe"
    try:
        for command in (
            ("netns", "add", probe),
            ("link", "add", probe[:15], "type", "veth", "peer", "name", "eth0", "netns", probe),
            ("netns", "exec", probe, "true"),
        ):
            done = _ip(*command, check=False)
            if done.returncode:
                return f"the machine refuses `ip {' '.join(command)}`: {done.stderr.strip()}"
        return None
    finally:
        _ip("link", "del", probe[:15], check=False)
        _ip("netns", "del", probe, check=False)


def _used_networks() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network the machine has an address on or a route to (the default route aside)."""
    used = []
    for line in _ip("-4", "-o", "addr", "show").stdout.splitlines():
        used.append(ipaddress.ip_interface(line.split()[3]).network)
    for line in _ip("-4", "route", "show", "table", "all").stdout.splitlines():
        target = line.split()[0] if line.split() else ""
        if target.startswith(("broadcast", "local", "unreachable", "blackhole", "prohibit")):
            target = line.split()[1]
        if target and target != "default":
            with contextlib.suppress(ValueError):
                used.append(ipaddress.ip_network(target if "/" in target else f"{target}/32", strict=False))
    return used


def free_subnet(rng: random.Random | None = None) -> ipaddress.IPv4Network:
    """A random /24 inside 10.0.0.0/8 that overlaps nothing on this machine."""
    rng = rng or random.SystemRandom()
    used = _used_networks()
    for _ in range(1000):
        candidate = ipaddress.ip_network(f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/24")
        if not any(candidate.overlaps(network) for network in used):
            return candidate
    raise RuntimeError("no free /24 inside 10.0.0.0/8")


@dataclass
class Host:
    """One host: a network namespace with one interface (eth0) on the LAN."""

    role: str
    namespace: str
    address: str
    lan: str  # the LAN's namespace
    link: str  # this host's veth end on the LAN's bridge (inside `lan`): down = its cable is pulled

    def command(self, argv: Sequence[str]) -> list[str]:
        return [IP, "netns", "exec", self.namespace, *map(str, argv)]

    def run(self, argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(argv), **kwargs)

    def popen(self, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        """A process on this host, in a session of its own (`ip netns exec` becomes the command itself)."""
        return subprocess.Popen(self.command(argv), start_new_session=True, **kwargs)

    def pids(self) -> list[int]:
        done = _ip("netns", "pids", self.namespace, check=False)
        return [int(pid) for pid in done.stdout.split()] if done.returncode == 0 else []

    def kill_all(self) -> int:
        """SIGKILL every process on this host, as when the machine dies; the number killed."""
        return _kill_namespace(self.namespace)

    def link_down(self) -> None:
        _ip("-n", self.lan, "link", "set", self.link, "down")

    def link_up(self) -> None:
        _ip("-n", self.lan, "link", "set", self.link, "up")

    def as_dict(self) -> dict:
        return asdict(self)


def _kill_namespace(namespace: str) -> int:
    killed: set[int] = set()
    for _ in range(50):  # a process may fork while its siblings die: until none is left
        done = _ip("netns", "pids", namespace, check=False)
        pids = [int(pid) for pid in done.stdout.split()] if done.returncode == 0 else []
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        time.sleep(0.1)
    return len(killed)


def _process_start_time(pid: int) -> str | None:
    """The kernel's start time of a process (tells a live owner from a reused pid)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass
class Network:
    """The LAN of one run and its hosts, by role. `directory` is the run's scratch space (removed with it)."""

    run_id: str
    subnet: str
    gateway: str  # the root namespace's address on the LAN (the test driver, the sandbox BigCommerce)
    gateway_link: str
    lan: str
    directory: Path
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def record(self) -> Path:
        return RUNS / f"{self.run_id}.json"

    def host(self, role: str) -> Host:
        return self.hosts[role]

    def _save(self) -> None:
        RUNS.mkdir(parents=True, exist_ok=True)
        owner = os.getpid()
        record = {
            "owner": owner,
            "owner_started": _process_start_time(owner),
            "namespaces": [host.namespace for host in self.hosts.values()] + [self.lan],
            "links": [self.gateway_link],
            "directories": [str(self.directory)],
            "hosts": {role: host.as_dict() for role, host in self.hosts.items()},
        }
        temporary = self.record.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=1))
        temporary.replace(self.record)

    def add_host(self, role: str) -> Host:
        namespace = f"bo-{self.run_id}-{role}"
        address = str(ipaddress.ip_network(self.subnet)[10 + len(self.hosts)])
        host = Host(role=role, namespace=namespace, address=address, lan=self.lan, link=role)
        self.hosts[role] = host
        self._save()  # recorded before it exists: a crash from here on leaves nothing unrecorded
        _ip("netns", "add", namespace)
        _ip("-n", self.lan, "link", "add", role, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        _ip("-n", self.lan, "link", "set", role, "master", LAN_DEVICE)
        _ip("-n", self.lan, "link", "set", role, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        return host

    def tear_down(self) -> None:
        _tear_down(self._record_data())
        shutil.rmtree(self.directory, ignore_errors=True)

    def _record_data(self) -> dict:
        with contextlib.suppress(OSError, ValueError):
            return json.loads(self.record.read_text()) | {"record": str(self.record)}
        return {
            "namespaces": [host.namespace for host in self.hosts.values()] + [self.lan],
            "links": [self.gateway_link],
            "directories": [str(self.directory)],
        }


def _tear_down(record: dict) -> None:
    """Kill every process in the run's namespaces, delete them and the root-side link, remove its files."""
    for namespace in record.get("namespaces", []):
        _kill_namespace(namespace)
        _ip("netns", "del", namespace, check=False)
    for link in record.get("links", []):
        _ip("link", "del", link, check=False)  # gone with its peer already, normally
    for directory in record.get("directories", []):
        shutil.rmtree(directory, ignore_errors=True)
    if record.get("record"):
        Path(record["record"]).unlink(missing_ok=True)


def leftovers_remove() -> list[str]:
    """Tear down what runs whose owner process is gone left behind (a crashed or SIGKILLed test); their ids."""
    removed = []
    for path in sorted(RUNS.glob("*.json")) if RUNS.is_dir() else []:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            continue
        started = record.get("owner_started")
        if started is not None and _process_start_time(record.get("owner", 0)) == started:
            continue  # its owner is alive: another run, perhaps someone else's
        _tear_down(record | {"record": str(path)})
        removed.append(path.stem)
    return removed


def network_create(roles: Sequence[str]) -> Network:
    """A LAN with one host per role (addresses .10, .11, ... in role order); the caller tears it down."""
    run_id = secrets.token_hex(4)
    subnet = free_subnet()
    directory = Path(f"/tmp/bo-hosts-{run_id}")
    directory.mkdir(mode=0o755)
    gateway = str(subnet[1])
    network = Network(
        run_id=run_id, subnet=str(subnet), gateway=gateway, gateway_link=f"bo-{run_id}-gw", lan=f"bo-{run_id}-lan",
        directory=directory,
    )  # fmt: skip
    try:
        network._save()
        _ip("netns", "add", network.lan)
        _ip("-n", network.lan, "link", "set", "lo", "up")
        _ip("-n", network.lan, "link", "add", LAN_DEVICE, "type", "bridge")
        _ip("-n", network.lan, "link", "set", LAN_DEVICE, "up")
        _ip("link", "add", network.gateway_link, "type", "veth", "peer", "name", "uplink", "netns", network.lan)
        _ip("-n", network.lan, "link", "set", "uplink", "master", LAN_DEVICE)
        _ip("-n", network.lan, "link", "set", "uplink", "up")
        _ip("addr", "add", f"{gateway}/24", "dev", network.gateway_link)
        _ip("link", "set", network.gateway_link, "up")
        for role in roles:
            network.add_host(role)
    except BaseException:
        network.tear_down()
        raise
    return network


@contextlib.contextmanager
def network(roles: Sequence[str]) -> Iterator[Network]:
    """`network_create`, torn down whatever happens (leftovers of crashed earlier runs removed first)."""
    leftovers_remove()
    made = network_create(roles)
    try:
        yield made
    finally:
        made.tear_down()


def reachable(address: str, port: int, *, timeout: float = 0.5) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=timeout):
        return True
    return False


def wait_reachable(address: str, port: int, *, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before {address}:{port} answered")
        if reachable(address, port):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on {address}:{port} within {seconds:.0f} s")
