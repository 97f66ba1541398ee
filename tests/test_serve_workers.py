"""`techgraph serve --workers N`: the parent hands each new connection to the worker holding the
fewest, restarts a worker that dies, and stops cleanly. Real processes on loopback; which worker
holds a connection is read from /proc (Linux)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from techgraph.api.workers import WorkerFailed, run

from .api_helpers import free_port

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

START_S = 60.0


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def socket_inodes(pid: int) -> set[int]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(int(target[8:-1]))
    return found


def server_side_inode(server_port: int, client_port: int) -> int | None:
    """The inode of the server's end of the loopback connection from `client_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            return inode
    return None


def holders(parent: int, server_port: int, conns: list[socket.socket]) -> list[int]:
    """For each client connection, the pid of the worker that holds its server end."""
    owners = {inode: pid for pid in children(parent) for inode in socket_inodes(pid)}
    out = []
    for c in conns:
        inode = server_side_inode(server_port, c.getsockname()[1])
        out.append(owners.get(inode, -1) if inode is not None else -1)
    return out


def ask(conn: socket.socket) -> bytes:
    """One GET /health over a keep-alive connection; the status line."""
    conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(h.split(b":")[1])
        for h in head.split(b"\r\n")
        if h.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += conn.recv(4096)
    return head.split(b"\r\n")[0]


def connect(port: int, n: int) -> list[socket.socket]:
    """n connections opened at once, before any request: as a client's connection pool does."""
    conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]
    for c in conns:
        assert ask(c) == b"HTTP/1.1 200 OK"
    return conns


def wait_for(check, seconds: float = START_S) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {**os.environ, "TECHGRAPH_BACKEND": "embedded", "TECHGRAPH_DATA_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "techgraph", "serve", "--workers", "2", "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--no-access-log"], env=env)
    try:
        wait_for(lambda: healthy(port) and len(children(proc.pid)) == 2)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_connections_opened_at_once_are_spread_over_the_workers(
    serving: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = serving
    conns = connect(port, 8)
    try:
        spread = Counter(holders(proc.pid, port, conns))
        assert -1 not in spread
        assert sorted(spread.values()) == [4, 4]
    finally:
        for c in conns:
            c.close()


def test_a_new_connection_goes_to_the_worker_holding_the_fewest(
    serving: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = serving
    conns = connect(port, 6)
    try:
        owners = holders(proc.pid, port, conns)
        emptied = owners[0]
        for c, owner in zip(conns, owners, strict=True):
            if owner == emptied:
                c.close()
        kept = [c for c, owner in zip(conns, owners, strict=True) if owner != emptied]
        time.sleep(0.5)  # the worker tells the parent the connections closed
        fresh = connect(port, 3)
        kept += fresh
        assert holders(proc.pid, port, fresh) == [emptied] * 3
    finally:
        for c in kept:
            c.close()


def test_a_worker_that_dies_is_replaced_and_the_service_goes_on(
    serving: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = serving
    victim, survivor = sorted(children(proc.pid))
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(children(proc.pid)) == 2 and victim not in children(proc.pid))
    replacement = (children(proc.pid) - {survivor}).pop()
    assert healthy(port)
    # Once ready, the replacement takes its share of new connections.
    wait_for(lambda: replacement in owners_of_fresh(proc.pid, port))


def owners_of_fresh(parent: int, port: int) -> set[int]:
    conns = connect(port, 4)
    try:
        return set(holders(parent, port, conns))
    finally:
        for c in conns:
            c.close()


def test_sigterm_stops_the_parent_and_its_workers(
    serving: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = serving
    workers = children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    for pid in workers:
        wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists() or _zombie(pid), 30)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_worker_that_cannot_start_stops_the_server_with_a_reason() -> None:
    with pytest.raises(WorkerFailed, match="before it was ready"):
        run("techgraph.api.no_such_module:create_app", "127.0.0.1", free_port(), 2)


def test_serve_says_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {**os.environ, "TECHGRAPH_BACKEND": "embedded", "TECHGRAPH_DATA_DIR": str(tmp_path)}
        cmd = [sys.executable, "-m", "techgraph", "serve", "--workers", "2", "--port", str(port)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_closes_the_full_channel_refused_are_reported_later() -> None:
    """A burst of closes can find the worker's channel to the parent full; the worker keeps
    the count and sends it with the next close or tick, so the parent's count stays true."""
    import uvicorn

    from techgraph.api.workers import CLOSED, _HandedServer

    parent, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with parent, worker_end:
        worker_end.setblocking(False)
        parent.setblocking(False)
        server = _HandedServer(uvicorn.Config("techgraph.api.app:create_app"), worker_end)
        while True:  # fill the channel
            try:
                worker_end.send(b"x")
            except BlockingIOError:
                break
        for _ in range(5):
            server._closed()
        seen = []
        while True:  # the parent reads what was there
            try:
                seen.append(parent.recv(4096))
            except BlockingIOError:
                break
        assert set(seen) == {b"x"}
        server._closed()  # the next close carries the five before it
        assert parent.recv(4096) == CLOSED * 6


def test_the_parent_counts_every_close_a_message_carries() -> None:
    from techgraph.api.workers import CLOSED, Pool, _Worker

    parent, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with socket.create_server(("127.0.0.1", 0)) as listener, parent, worker_end:
        parent.setblocking(False)
        pool = Pool(listener, "techgraph.api.app:create_app", 1)
        worker = _Worker(0, subprocess.Popen(["true"]), parent, ready=True, open=10)
        worker_end.send(CLOSED * 3)
        worker_end.send(CLOSED)
        pool._from_worker(worker)
        assert worker.open == 6
        worker.process.wait()
