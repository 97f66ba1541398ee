"""A real Neo4j 5.26 community server, from Maven Central artifacts, without Docker.

`fetch` has Maven resolve the artifacts pinned in the pom.xml next to this file (into Maven's own
local repository, ~/.m2) and records the runtime classpath; `start` writes a neo4j.conf and runs
Neo4j's own entry point, org.neo4j.server.CommunityEntryPoint, in a detached JVM; `stop` and
`status` find that JVM again through its PID file. Everything a server owns lives in its home:

    <home>/conf/neo4j.conf     rewritten by every start (edit the arguments, not the file)
    <home>/data/               databases and transaction logs: kept across restarts
    <home>/logs/               neo4j.log, debug.log, ... and console.log (the JVM's stdout/stderr)
    <home>/plugins/            APOC, copied from ~/.m2; other plugin jars put here are loaded too
    <home>/lib/classpath.txt   the resolved classpath, valid while the pom is unchanged
    <home>/run/neo4j.pid       the server's PID (Neo4j writes the same file itself)

The server listens on 127.0.0.1 only, with authentication on: the password of user `neo4j` is
set before the very first start of a home, with neo4j-admin's `dbms set-initial-password`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from neo4j import GraphDatabase
from neo4j import exceptions as neo4j_exc

from ..errors import TechgraphError

log = logging.getLogger(__name__)

POM = Path(__file__).with_name("pom.xml")
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
MIN_JAVA = 17
HOST = "127.0.0.1"
USER = "neo4j"
DEFAULT_PASSWORD = "techgraph"
DEFAULT_BOLT_PORT = 7687
DEFAULT_HTTP_PORT = 7474
DEFAULT_HEAP = "1g"
DEFAULT_PAGECACHE = "256m"
DEFAULT_START_TIMEOUT = 180.0
DEFAULT_STOP_TIMEOUT = 60.0

# The JVM flags bin/neo4j would add from the stock 5.26 neo4j.conf (server.jvm.additional), less
# -XX:+AlwaysPreTouch, which would make the whole heap resident at once on a shared machine.
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
)

# Jars that go into <home>/plugins: Neo4j's procedure loader only scans that directory.
PLUGIN_ARTIFACTS = ("apoc-core-", "apoc-common-")


class Neo4jServerError(TechgraphError):
    """The local Neo4j server could not be fetched, started or stopped; the message says why."""

    status_code = 503


class PrerequisiteMissing(Neo4jServerError):
    """Java 17+ or Maven is missing, or Maven could not resolve the pinned artifacts."""


class StartFailed(Neo4jServerError):
    """The server did not come up: port taken, JVM exited, timeout or password refused."""


@dataclass(frozen=True)
class ServerStatus:
    """What `status` knows about the server of one home (and what `start` returns)."""

    home: Path
    running: bool
    """A live JVM of this home's server holds the PID file (it may still be starting)."""
    pid: int | None
    bolt_uri: str
    browser_url: str
    version: str | None
    """Neo4j's version as the server reports it over HTTP; None while it does not answer."""
    log_file: Path
    already_running: bool = False
    """Set by `start` when it found the server running and left it alone."""


# -- locations ---------------------------------------------------------------------------------


def default_home() -> Path:
    """$TECHGRAPH_NEO4J_HOME, else $XDG_DATA_HOME/techgraph/neo4j (~/.local/share/...)."""
    explicit = os.environ.get("TECHGRAPH_NEO4J_HOME")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "techgraph" / "neo4j"


def _home(home: Path | None) -> Path:
    # Absolute, because the path ends up in the JVM's command line, which is how stop() and
    # status() recognise this home's server among other processes.
    return (home if home is not None else default_home()).expanduser().resolve()


def pid_file(home: Path) -> Path:
    return home / "run" / "neo4j.pid"


def conf_file(home: Path) -> Path:
    return home / "conf" / "neo4j.conf"


def console_log(home: Path) -> Path:
    return home / "logs" / "console.log"


def neo4j_log(home: Path) -> Path:
    return home / "logs" / "neo4j.log"


def pinned_versions() -> dict[str, str]:
    """The versions pinned in pom.xml: {"neo4j": "5.26.19", "neo4j-browser": "5.24.0"}."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    props = ET.parse(POM).getroot().find("m:properties", ns)
    found: dict[str, str] = {}
    if props is not None:
        for name in ("neo4j", "neo4j-browser"):
            element = props.find(f"m:{name}.version", ns)
            if element is not None and element.text:
                found[name] = element.text.strip()
    return found


def neo4j_version() -> str:
    return pinned_versions()["neo4j"]


# -- prerequisites -----------------------------------------------------------------------------


def find_java() -> Path:
    """The `java` of $JAVA_HOME, else the one on PATH; it must be Java 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    if candidate is None or not candidate.is_file():
        found = shutil.which("java")
        if found is None:
            raise PrerequisiteMissing(
                f"Java is not installed (no `java` on PATH); install a Java {MIN_JAVA} or newer "
                "JDK/JRE (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME."
            )
        candidate = Path(found)
    major = java_major_version(candidate)
    if major < MIN_JAVA:
        raise PrerequisiteMissing(
            f"{candidate} is Java {major} but Neo4j {neo4j_version()} needs Java {MIN_JAVA} or "
            f"newer; install Java {MIN_JAVA}+ and put it first on PATH or set JAVA_HOME."
        )
    return candidate


def java_major_version(java: Path) -> int:
    """The feature release of a `java` binary: 8 for "1.8.0_392", 17 for "17.0.15"."""
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        raise PrerequisiteMissing(
            f"cannot run {java} ({exc.strerror}); install Java {MIN_JAVA}+ or fix JAVA_HOME."
        ) from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        raise PrerequisiteMissing(
            f"cannot tell which Java {java} is (`java -version` said {out.stderr.strip()!r}); "
            f"install Java {MIN_JAVA}+ or set JAVA_HOME to one."
        )
    first, second = int(match.group(1)), int(match.group(2) or 0)
    return second if first == 1 else first


def find_maven() -> Path:
    found = shutil.which("mvn")
    if found is None:
        raise PrerequisiteMissing(
            "Maven is not installed (no `mvn` on PATH) and is needed once to download Neo4j "
            "from Maven Central; install it (e.g. `apt-get install maven`)."
        )
    return Path(found)


# -- fetch -------------------------------------------------------------------------------------


def fetch(home: Path | None = None) -> list[Path]:
    """Resolve the pinned artifacts and return the server's runtime classpath (absolute jars).

    The classpath is cached in <home>/lib together with the pom's hash, so later calls (every
    `start`) need neither Maven nor the network. Otherwise Maven runs offline first (`-o`:
    enough when ~/.m2 already holds everything) and only goes to Maven Central when that fails.
    """
    home = _home(home)
    find_java()
    lib = home / "lib"
    cache, stamp = lib / "classpath.txt", lib / "pom.sha256"
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if cache.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        jars = [Path(line) for line in cache.read_text().splitlines() if line.strip()]
        if jars and all(jar.is_file() for jar in jars):
            return jars

    mvn = find_maven()
    lib.mkdir(parents=True, exist_ok=True)
    output = lib / "classpath.mvn.txt"
    command = [
        str(mvn),
        "--batch-mode",
        "--quiet",
        "-Dstyle.color=never",
        "-f",
        str(POM),
        "dependency:build-classpath",
        f"-Dmdep.outputFile={output}",
        "-Dmdep.includeScope=runtime",
    ]
    started = time.monotonic()
    result = _run_maven([*command[:1], "--offline", *command[1:]])
    if result.returncode != 0:
        log.info(
            "Downloading Neo4j %s from Maven Central into ~/.m2 (about 140 MB, once) ...",
            neo4j_version(),
        )
        result = _run_maven(command)
    if result.returncode != 0:
        said = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr).splitlines()
        errors = [ln.removeprefix("[ERROR]").strip() for ln in said if ln.startswith("[ERROR]")]
        reason = next((e for e in errors if e), " ".join(said[-3:]).strip())[:400]
        raise PrerequisiteMissing(
            f"Maven could not resolve Neo4j {neo4j_version()} ({reason}); check that Maven "
            "Central (repo1.maven.org) is reachable, or your ~/.m2/settings.xml mirrors."
        )
    jars = [Path(p) for p in output.read_text().strip().split(os.pathsep) if p]
    output.unlink()
    missing = [jar for jar in jars if not jar.is_file()]
    if not jars or missing:
        raise PrerequisiteMissing(
            f"Maven reported a classpath with missing jars ({missing[:1]}); delete those from "
            "~/.m2/repository and run fetch again."
        )
    cache.write_text("".join(f"{jar}\n" for jar in jars))
    stamp.write_text(digest + "\n")
    log.info("Resolved %d jars in %.1f s.", len(jars), time.monotonic() - started)
    return jars


def _run_maven(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        cwd=POM.parent,
        stdin=subprocess.DEVNULL,
    )


# -- status ------------------------------------------------------------------------------------


def status(home: Path | None = None) -> ServerStatus:
    """Whether this home's server runs, where it listens and which version it reports."""
    home = _home(home)
    bolt_port, http_port = _configured_ports(home)
    pid = _live_pid(home)
    return ServerStatus(
        home=home,
        running=pid is not None,
        pid=pid,
        bolt_uri=f"bolt://{HOST}:{bolt_port}",
        browser_url=f"http://{HOST}:{http_port}/browser/",
        version=_http_version(http_port) if pid is not None else None,
        log_file=neo4j_log(home),
    )


def _configured_ports(home: Path) -> tuple[int, int]:
    ports = {"bolt": DEFAULT_BOLT_PORT, "http": DEFAULT_HTTP_PORT}
    with contextlib.suppress(OSError):
        for line in conf_file(home).read_text().splitlines():
            match = re.fullmatch(r"\s*server\.(bolt|http)\.listen_address\s*=.*:(\d+)\s*", line)
            if match:
                ports[match.group(1)] = int(match.group(2))
    return ports["bolt"], ports["http"]


def _http_version(http_port: int) -> str | None:
    """The version from the server's discovery document (GET /, no authentication needed)."""
    # No proxies: an http_proxy in the environment must not intercept a loopback request.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://{HOST}:{http_port}/", timeout=3) as response:
            body = json.load(response)
    except (OSError, ValueError):
        return None
    version = body.get("neo4j_version") if isinstance(body, dict) else None
    return version if isinstance(version, str) else None


def _live_pid(home: Path, *, clean_stale: bool = False) -> int | None:
    """The PID in the home's PID file if that process is this home's Neo4j, else None.

    Checking the command line (not only that the PID is alive) keeps a stale PID file, whose
    number the system has since given to another process, from being taken for the server.
    """
    path = pid_file(home)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        pid = None
    if pid is not None and _is_server_of(pid, home):
        return pid
    if clean_stale and path.exists():
        log.info("Removing stale PID file %s.", path)
        path.unlink(missing_ok=True)
    return None


def _is_server_of(pid: int, home: Path) -> bool:
    _reap(pid)
    if not _alive(pid):
        return False
    cmdline = _cmdline(pid)
    return ENTRY_POINT in cmdline and f"--home-dir={home}" in cmdline


def _cmdline(pid: int) -> list[str]:
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.parent.is_dir():
        try:
            return proc.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            return []
    # No /proc (macOS): ps shows the arguments joined by spaces, good enough for a substring test.
    out = subprocess.run(
        ["ps", "-ww", "-o", "command=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.split()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    with contextlib.suppress(OSError, IndexError):
        # A zombie (exited, not yet reaped by its parent) is not a running server.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _reap(pid: int) -> None:
    # When this very process started the server (tests, the CLI's restart), it is our child and
    # would linger as a zombie after exiting unless we collect it.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


# -- start -------------------------------------------------------------------------------------


def start(
    home: Path | None = None,
    *,
    bolt_port: int = DEFAULT_BOLT_PORT,
    http_port: int = DEFAULT_HTTP_PORT,
    password: str = DEFAULT_PASSWORD,
    timeout: float = DEFAULT_START_TIMEOUT,
    heap: str = DEFAULT_HEAP,
    pagecache: str = DEFAULT_PAGECACHE,
    initial_heap: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> ServerStatus:
    """Start this home's server and return once Bolt answers `RETURN 1` with `password`.

    If the server already runs, nothing is started and the status says `already_running`.
    `password` becomes the password of user `neo4j` when the home is started for the first time;
    later starts only check it (Neo4j keeps the password in its system database).
    `heap` is the JVM's maximum heap and `pagecache` Neo4j's page cache, in Neo4j's size syntax;
    `initial_heap` the heap the JVM starts with (default: a quarter of `heap`, at most 256m; a
    server of its own, such as the benchmark's, starts with all of it, as Neo4j advises).
    `settings` are further neo4j.conf lines (name = value) for this start.
    """
    home = _home(home)
    pid = _live_pid(home, clean_stale=True)
    if pid is not None:
        return replace(status(home), already_running=True)
    if bolt_port == http_port:
        raise StartFailed(f"the Bolt and HTTP ports are both {bolt_port}; give them two ports.")
    heap_bytes = _bytes("heap", heap)
    _bytes("page cache", pagecache)
    initial_heap = initial_heap or _initial_heap(heap)
    if _bytes("initial heap", initial_heap) > heap_bytes:
        raise StartFailed(f"the initial heap {initial_heap} is larger than the heap {heap}.")
    extra = dict(settings or {})
    for name, value in extra.items():
        if not re.fullmatch(r"[a-z][a-z0-9_.]*", name) or re.search(r"[\r\n]", value):
            raise StartFailed(f"{name}={value!r} is not a Neo4j setting this launcher can write.")
    if "\n" in password or "\r" in password or not password:
        raise StartFailed("the Neo4j password must be one non-empty line; choose another.")
    connectors = (("Bolt", bolt_port, "--bolt-port"), ("HTTP", http_port, "--http-port"))
    for name, port, option in connectors:
        if _port_taken(port):
            raise StartFailed(
                f"port {port} on {HOST}, wanted for Neo4j's {name} connector, is already in use "
                f"by another process; stop that process or choose another port ({option})."
            )

    java = find_java()
    jars = fetch(home)
    for sub in ("conf", "data", "logs", "plugins", "run", "import"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    classpath = _install_plugins(home, jars)
    _write_config(home, bolt_port, http_port, heap, pagecache, initial_heap, extra)
    if not (home / "data" / "databases" / "system").exists():
        _set_initial_password(java, classpath, home, password)
        with contextlib.suppress(OSError):  # it holds a salted hash of the password
            (home / "data" / "dbms" / "auth.ini").chmod(0o600)

    log_path = neo4j_log(home)
    log_offset = log_path.stat().st_size if log_path.exists() else 0
    command = [
        str(java),
        f"-Xms{initial_heap}",
        f"-Xmx{heap}",
        *JVM_FLAGS,
        f"-XX:ErrorFile={home / 'logs' / 'hs_err_pid%p.log'}",
        ENTRY_POINT,
        f"--home-dir={home}",
        f"--config-dir={home / 'conf'}",
    ]
    # The classpath (~220 jars) travels in CLASSPATH rather than -cp, which keeps `ps` readable.
    env = {**os.environ, "CLASSPATH": os.pathsep.join(classpath)}
    log.info("Starting Neo4j %s in %s ...", neo4j_version(), home)
    started = time.monotonic()
    with console_log(home).open("wb") as console:
        process = subprocess.Popen(
            command,
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: a Ctrl-C in our terminal does not reach it
        )
    pid_file(home).write_text(f"{process.pid}\n")

    _wait_until_ready(process, home, bolt_port, http_port, password, timeout, log_offset)
    log.info("Neo4j answered on Bolt after %.1f s.", time.monotonic() - started)
    return status(home)


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as Neo4j (Netty, Jetty) use it: a port left in TIME_WAIT by a stopped
        # server counts as free, a port someone listens on does not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def _install_plugins(home: Path, jars: list[Path]) -> list[str]:
    """Copy APOC into <home>/plugins and return the JVM classpath.

    Neo4j loads procedures only from jars in its plugins directory, but APOC also registers a
    kernel extension that is found on the JVM classpath; bin/neo4j therefore puts plugins/* on
    the classpath, and so do we. Older APOC jars (after a version change) are removed.
    """
    plugins = home / "plugins"
    wanted = {jar.name: jar for jar in jars if jar.name.startswith(PLUGIN_ARTIFACTS)}
    for old in plugins.glob("apoc-*.jar"):
        if old.name not in wanted:
            old.unlink()
    for name, jar in wanted.items():
        target = plugins / name
        if not target.exists() or target.stat().st_size != jar.stat().st_size:
            shutil.copy2(jar, target)
    rest = [str(jar) for jar in jars if jar.name not in wanted]
    return [*rest, str(plugins / "*")]


def _bytes(what: str, size: str) -> int:
    """A size in Neo4j's syntax (1g, 768m), checked before it goes into neo4j.conf."""
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", size.strip())
    if match is None or int(match.group(1)) == 0:
        raise StartFailed(f"{what} size {size!r} is not like 1g or 768m; pass a size such as 1g.")
    factor = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match.group(2).lower()]
    return int(match.group(1)) * factor


def _initial_heap(heap: str) -> str:
    """A quarter of the maximum heap, at most 256m: the JVM grows the heap when a load needs it,
    and the server's resident memory stays modest on a shared machine while it idles."""
    quarter_mib = _bytes("heap", heap) // 4 // (1 << 20)
    return f"{max(64, min(256, quarter_mib))}m"


def _write_config(
    home: Path,
    bolt_port: int,
    http_port: int,
    heap: str,
    pagecache: str,
    initial_heap: str,
    settings: Mapping[str, str],
) -> None:
    text = f"""\
# Written by techgraph (techgraph.graph.neo4j_server) on every start: edits are overwritten.
# Neo4j {neo4j_version()} community, started with {ENTRY_POINT}.

# Loopback only: this server is for the local machine.
server.default_listen_address={HOST}
server.default_advertised_address={HOST}
server.bolt.enabled=true
server.bolt.listen_address={HOST}:{bolt_port}
server.bolt.advertised_address={HOST}:{bolt_port}
server.http.enabled=true
server.http.listen_address={HOST}:{http_port}
server.http.advertised_address={HOST}:{http_port}
server.https.enabled=false

dbms.security.auth_enabled=true

server.directories.data={home / "data"}
server.directories.logs={home / "logs"}
server.directories.plugins={home / "plugins"}
server.directories.import={home / "import"}
server.directories.run={home / "run"}
server.directories.lib={home / "lib"}

# The JVM is started with the same heap sizes (-Xms/-Xmx); Neo4j checks them against these.
server.memory.heap.initial_size={initial_heap}
server.memory.heap.max_size={heap}
server.memory.pagecache.size={pagecache}

dbms.security.procedures.unrestricted=apoc.*

db.tx_log.rotation.retention_policy=2 days 2G
dbms.usage_report.enabled=false
# Browser on this machine has no network: no telemetry (and no banner asking for it).
client.allow_telemetry=false

# Bolt's Netty shutdown waits out a 5 s quiet period twice; 1 s makes `stop` take ~2 s, not ~11.
internal.dbms.bolt.netty_server_shutdown_quiet_period=1
"""
    if settings:
        text += "\n# Given for this start (manager.start(settings=...)).\n"
        text += "".join(f"{name}={value}\n" for name, value in settings.items())
    conf_file(home).write_text(text)


def _set_initial_password(java: Path, classpath: list[str], home: Path, password: str) -> None:
    """`neo4j-admin dbms set-initial-password`, which leaves data/dbms/auth.ini for first start.

    The password goes through a picocli @argument file readable only by us, so that it never
    shows in the process list.
    """
    argfile = home / "run" / "initial-password.args"
    escaped = password.replace("\\", "\\\\").replace('"', '\\"')
    argfile.touch(mode=0o600)
    argfile.chmod(0o600)
    argfile.write_text(f'"{escaped}"\n')
    try:
        result = subprocess.run(
            [str(java), ADMIN_TOOL, "dbms", "set-initial-password", f"@{argfile}"],
            env={
                **os.environ,
                "CLASSPATH": os.pathsep.join(classpath),
                "NEO4J_HOME": str(home),
                "NEO4J_CONF": str(home / "conf"),
            },
            cwd=home,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    finally:
        argfile.unlink(missing_ok=True)
    if result.returncode != 0:
        said = " ".join((result.stderr or result.stdout).split())[:400]
        said = re.sub(r"^([\w.]+Exception: )+", "", said).rstrip(".")
        raise StartFailed(f"Neo4j refused the initial password ({said}); choose another one.")


def _wait_until_ready(
    process: subprocess.Popen[bytes],
    home: Path,
    bolt_port: int,
    http_port: int,
    password: str,
    timeout: float,
    log_offset: int,
) -> None:
    uri = f"bolt://{HOST}:{bolt_port}"
    deadline = time.monotonic() + timeout
    last_problem = "Bolt port not open yet"
    while True:
        code = process.poll()
        if code is not None:
            pid_file(home).unlink(missing_ok=True)
            raise StartFailed(
                f"Neo4j exited with code {code} while starting; see {home / 'logs'}."
                + _log_tail(home, log_offset)
            )
        if _bolt_port_open(bolt_port):
            try:
                _check_bolt(uri, password)
            except neo4j_exc.AuthError:
                raise StartFailed(
                    f"Neo4j is running (pid {process.pid}) but refused the password for user "
                    f"`{USER}`: a home's password is set only on its first start, so pass the "
                    f"one used then, or stop the server and delete {home / 'data'} to begin anew."
                ) from None
            except (neo4j_exc.Neo4jError, neo4j_exc.DriverError, OSError) as exc:
                last_problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            else:
                if _http_version(http_port) is not None:
                    return
                last_problem = f"HTTP on port {http_port} not answering yet"
        if time.monotonic() > deadline:
            tail = _log_tail(home, log_offset)
            _terminate(process.pid, DEFAULT_STOP_TIMEOUT)
            pid_file(home).unlink(missing_ok=True)
            raise StartFailed(
                f"Neo4j did not answer on {uri} within {timeout:.0f} s ({last_problem}) and was "
                f"stopped; see {home / 'logs'} or start again with a longer --timeout." + tail
            )
        time.sleep(0.25)


def _bolt_port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def _check_bolt(uri: str, password: str) -> None:
    with (
        GraphDatabase.driver(uri, auth=(USER, password), connection_timeout=5) as driver,
        driver.session() as session,
    ):
        session.run("RETURN 1").consume()


def _log_tail(home: Path, offset: int, lines: int = 12) -> str:
    """The telling end of this start's logs: Neo4j's own log (from `offset`, where this start
    began) and the JVM's stdout/stderr, which has what fails before logging is set up."""
    parts: list[str] = []
    try:
        with neo4j_log(home).open("rb") as f:
            f.seek(offset)
            ours = f.read().decode(errors="replace").splitlines()
    except OSError:
        ours = []
    try:
        console = console_log(home).read_text(errors="replace").splitlines()
    except OSError:
        console = []
    for path, text in ((neo4j_log(home), ours), (console_log(home), console)):
        chosen = _telling_lines(text, lines)
        if chosen:
            parts.append(f"--- {path}:\n" + "\n".join(chosen))
    return ("\n" + "\n".join(parts)) if parts else ""


def _telling_lines(text: list[str], lines: int) -> list[str]:
    """ERROR lines, exceptions and their causes if there are any (stack frames say little to a
    user), else simply the last lines."""
    text = [ln for ln in text if ln.strip()]
    telling = [
        ln
        for ln in text
        if " ERROR " in ln
        or ln.startswith(("Caused by:", "Error:", "Exception"))
        or re.match(r"[\w.$]+(Exception|Error)\b", ln)
    ]
    return (telling or text)[-lines:]


# -- stop --------------------------------------------------------------------------------------


def stop(home: Path | None = None, *, timeout: float = DEFAULT_STOP_TIMEOUT) -> bool:
    """Stop this home's server: SIGTERM (a clean shutdown), SIGKILL after `timeout` seconds.

    Returns True if a server was stopped, False if none was running (a stale PID file is removed).
    """
    home = _home(home)
    pid = _live_pid(home, clean_stale=True)
    if pid is None:
        return False
    log.info("Stopping Neo4j (pid %d) ...", pid)
    _terminate(pid, timeout)
    pid_file(home).unlink(missing_ok=True)
    return True


def _terminate(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout):
        return
    log.warning("Neo4j (pid %d) did not stop within %.0f s; killing it.", pid, timeout)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not _wait_gone(pid, 30):
        raise Neo4jServerError(
            f"Neo4j (pid {pid}) survived SIGKILL; check it with `ps -p {pid}` and end it by hand."
        )


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False
