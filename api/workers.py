"""`techgraph serve --workers N`: N uvicorn worker processes behind one listening socket, each
new connection handed to the worker that holds the fewest open connections.

Why not uvicorn's own `--workers`: there every worker accepts from the shared socket, and the
one that wakes first accepts every connection waiting (libuv and asyncio both accept in a loop).
Clients that connect at once, as a pool of keep-alive connections does, end up on one worker: 28
of 32 on one and 4 on the other in the issue 5 load test. Each worker gets about the same CPU,
so a client's wait grows with the number of clients on its worker. Here the parent process
alone accepts; it passes each connection's file descriptor to the least busy worker over a Unix
socket (SCM_RIGHTS), and the worker serves it with uvicorn's own HTTP protocol and says when it
closes.

The parent restarts a worker that dies. If a worker cannot start when the server starts (a bad
setting, an app that fails to import), the whole server stops, with that worker's message.
SIGINT or SIGTERM to the parent stops accepting, lets each worker finish what it is answering
(uvicorn's graceful shutdown), and exits.

Linux only (Unix sequenced-packet sockets); `techgraph serve` falls back to uvicorn's own
workers elsewhere, and one worker is uvicorn's plain server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import uvicorn

log = logging.getLogger("techgraph.serve")

READY = b"r"
CLOSED = b"c"  # one byte per connection closed; a message may carry several
HANDOFF = b"h"
MESSAGE_MAX = 4096
START_TIMEOUT_S = 120.0
HANDOFF_WAIT_S = 5.0
STOP_TIMEOUT_S = 30.0


class WorkerFailed(RuntimeError):
    """A worker exited before it was ready to serve."""


# -- the parent -----------------------------------------------------------------------------------


@dataclass
class _Worker:
    number: int
    process: subprocess.Popen[bytes]
    channel: socket.socket
    ready: bool = False
    open: int = 0


class Pool:
    """The parent: accepts on `listener` and deals the connections out to its workers."""

    def __init__(
        self,
        listener: socket.socket,
        app: str,
        workers: int,
        log_level: str = "info",
        access_log: bool = True,
    ) -> None:
        self.listener = listener
        self.app = app
        self.size = workers
        self.log_level = log_level
        self.access_log = access_log
        self.selector = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self._turn = itertools.count()
        self._stop_r, self._stop_w = socket.socketpair()
        self._stopping = False
        self._listening = False
        self._serving = False

    # workers

    def _spawn(self, number: int) -> _Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cmd = [
            sys.executable,
            "-m",
            "techgraph.api.workers",
            "--channel-fd",
            str(theirs.fileno()),
            "--app",
            self.app,
            "--log-level",
            self.log_level,
        ]
        if not self.access_log:
            cmd.append("--no-access-log")
        # A group of its own: CTRL+C reaches the parent only, which stops the workers in turn
        # (rather than seeing them exit first and starting others).
        process = subprocess.Popen(cmd, pass_fds=[theirs.fileno()], process_group=0)
        theirs.close()
        ours.setblocking(False)
        worker = _Worker(number, process, ours)
        self.selector.register(ours, selectors.EVENT_READ, worker)
        return worker

    def _drop(self, worker: _Worker) -> None:
        self.selector.unregister(worker.channel)
        worker.channel.close()
        try:
            worker.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()

    def _from_worker(self, worker: _Worker) -> None:
        while True:
            try:
                message = worker.channel.recv(MESSAGE_MAX)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message = b""
            if message == READY:
                worker.ready = True
                self._listen(True)
            elif message and message.count(CLOSED) == len(message):
                worker.open = max(0, worker.open - len(message))
            elif not message:  # the worker is gone
                self._gone(worker)
                return

    def _gone(self, worker: _Worker) -> None:
        self._drop(worker)
        if self._stopping:
            self.workers.remove(worker)
            return
        if not worker.ready and not self._serving:
            raise WorkerFailed(
                f"worker {worker.number} exited with {worker.process.returncode} before it was "
                "ready to serve (its messages are above)"
            )
        log.warning(
            "worker %d (pid %d) exited with %s; starting another (messages above)",
            worker.number,
            worker.process.pid,
            worker.process.returncode,
        )
        self.workers[self.workers.index(worker)] = self._spawn(worker.number)
        # Until one is ready, connections wait in the listening socket's backlog.
        self._listen(any(w.ready for w in self.workers))

    # connections

    def _least_busy(self, tried: set[int]) -> _Worker | None:
        ready = [w for w in self.workers if w.ready and w.number not in tried]
        if not ready:
            return None
        turn = next(self._turn)
        n = len(self.workers)
        return min(ready, key=lambda w: (w.open, (w.number - turn) % n))

    def _listen(self, on: bool) -> None:
        if on != self._listening and not (on and self._stopping):
            if on:
                self.selector.register(self.listener, selectors.EVENT_READ, "listener")
            else:
                self.selector.unregister(self.listener)
            self._listening = on

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # e.g. out of descriptors: try again a little later
                log.warning("accept failed: %s", e)
                time.sleep(0.05)
                return
            with conn:  # the parent's copy: the worker holds its own
                self._hand_over(conn)

    def _hand_over(self, conn: socket.socket) -> None:
        tried: set[int] = set()
        while (worker := self._least_busy(tried)) is not None:
            try:
                socket.send_fds(worker.channel, [HANDOFF], [conn.fileno()])
            except OSError:  # its channel is full or it is gone (its EOF will say)
                tried.add(worker.number)
                continue
            worker.open += 1
            return
        # Every channel is full (a burst of connections): wait for the least busy worker.
        worker = self._least_busy(set())
        if worker is not None:
            worker.channel.settimeout(HANDOFF_WAIT_S)
            try:
                socket.send_fds(worker.channel, [HANDOFF], [conn.fileno()])
                worker.open += 1
                return
            except OSError:
                pass
            finally:
                worker.channel.setblocking(False)
        log.warning("no worker could take a connection; it is closed")

    # the loop

    def start(self) -> None:
        self.listener.setblocking(False)
        self.selector.register(self._stop_r, selectors.EVENT_READ, "stop")
        self.workers = [self._spawn(i) for i in range(self.size)]
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all(w.ready for w in self.workers):
            if time.monotonic() > deadline:
                raise WorkerFailed(f"the workers were not ready within {START_TIMEOUT_S:.0f} s")
            for key, _ in self.selector.select(timeout=1.0):
                if isinstance(key.data, _Worker):
                    self._from_worker(key.data)
                elif key.data == "stop":
                    return

    def stop(self) -> None:
        """Ask the loop to end (from a signal handler)."""
        self._stopping = True
        with contextlib.suppress(OSError):
            self._stop_w.send(b"x")

    def serve(self) -> None:
        self._serving = True
        while not self._stopping:
            for key, _ in self.selector.select():
                if key.data == "listener":
                    self._accept()
                elif key.data == "stop":
                    break
                else:
                    self._from_worker(key.data)

    def close(self) -> None:
        """Stop accepting, let the workers finish, and wait for them."""
        self._listen(False)
        self._stopping = True
        self.listener.close()
        for w in self.workers:
            if w.process.poll() is None:
                w.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for w in self.workers:
            try:
                w.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.process.kill()
                w.process.wait()
            with contextlib.suppress(Exception):
                self.selector.unregister(w.channel)
            w.channel.close()
        self.selector.close()
        self._stop_r.close()
        self._stop_w.close()


def run(
    app: str,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Serve the ASGI app factory `app` ("module:function") on host:port with `workers`
    processes, until SIGINT or SIGTERM. Raises OSError when the address cannot be bound and
    WorkerFailed when a worker cannot start."""
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s:     %(message)s")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=2048)
    pool = Pool(listener, app, workers, log_level, access_log)
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda *_: pool.stop()) for s in stops}
    try:
        pool.start()
        if not pool._stopping:
            scheme_host = f"[{host}]" if ":" in host else host
            log.info(
                "techgraph API on http://%s:%d with %d workers (least connections); CTRL+C to stop",
                scheme_host,
                listener.getsockname()[1],
                workers,
            )
            pool.serve()
    finally:
        pool.close()
        for s, handler in previous.items():
            signal.signal(s, handler)


# -- a worker -------------------------------------------------------------------------------------


class _HandedServer(uvicorn.Server):
    """A uvicorn server that listens on nothing: its connections come over `channel`."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self._unsent = 0

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        if self.should_exit:
            return
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._receive, loop)
        self._tell(READY)

    def _tell(self, message: bytes) -> bool:
        # When the parent is gone, the channel's EOF stops this worker.
        try:
            self.channel.send(message)
        except OSError:  # gone, or the channel is full for now
            return False
        return True

    def _closed(self) -> None:
        self._unsent += 1
        self._flush_closed()

    def _flush_closed(self) -> None:
        """Tell the parent of the connections closed; those the channel could not take now
        (a burst) go with the next close or the next tick, so the parent's count stays true."""
        while self._unsent:
            n = min(self._unsent, MESSAGE_MAX)
            if not self._tell(CLOSED * n):
                return
            self._unsent -= n

    async def on_tick(self, counter: int) -> bool:
        self._flush_closed()
        return await super().on_tick(counter)

    def _protocol(self, loop: asyncio.AbstractEventLoop) -> asyncio.Protocol:
        config = self.config
        protocol: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
            config=config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
            _loop=loop,
        )
        lost = protocol.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            try:
                lost(exc)
            finally:
                self._closed()

        protocol.connection_lost = connection_lost  # type: ignore[method-assign]
        return protocol

    def _receive(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self.channel, 16, 4)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message, fds = b"", []
            if not message and not fds:  # the parent is gone: finish and exit
                loop.remove_reader(self.channel.fileno())
                self.should_exit = True
                return
            for fd in fds:
                conn = socket.socket(fileno=fd)
                conn.setblocking(False)
                loop.create_task(self._serve_connection(loop, conn))

    async def _serve_connection(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
        try:
            await loop.connect_accepted_socket(lambda: self._protocol(loop), sock=conn)
        except OSError:  # the client left before the worker took the connection
            conn.close()
            self._closed()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets=None)


def worker_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m techgraph.api.workers")
    parser.add_argument("--channel-fd", type=int, required=True)
    parser.add_argument("--app", required=True)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    channel = socket.socket(fileno=args.channel_fd)
    config = uvicorn.Config(
        args.app, factory=True, log_level=args.log_level, access_log=not args.no_access_log
    )
    _HandedServer(config, channel).run()


if __name__ == "__main__":
    worker_main()
