"""Read-only Cypher for power users (`POST /v1/cypher`), with defence in depth.

A query has to pass every layer; any one of them would refuse a write on its own:

1. **The text.** Comments and string literals are set aside, then the words are checked: no
   clause that writes (CREATE, MERGE, SET, DELETE, DETACH, REMOVE, FOREACH), no LOAD CSV, no
   administration, schema or database commands (DROP, ALTER, GRANT, SHOW, USE, ...), no
   `IN TRANSACTIONS`, one statement only, no backslash escapes outside strings, and no call of a
   namespaced procedure or function outside a small allow-list (so no APOC at all).
2. **The plan.** `EXPLAIN` asks the server what the query is: its query type must be `r` (read
   only), and its plan may hold no operator that writes, loads or administers and no
   ProcedureCall outside the allow-list.
3. **The transaction.** The query runs in an explicit transaction of a READ-mode session, which
   the server refuses to let write, with a timeout the server enforces; only the first
   `row_limit` rows are fetched; the transaction is then rolled back, never committed.

Refusals are `CypherRefused` (400) with one sentence naming what was refused.
"""

from __future__ import annotations

import base64
import contextlib
import math
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_exc
from neo4j import graph as neo4j_graph
from neo4j import spatial as neo4j_spatial
from neo4j import time as neo4j_time

from techgraph.graph.errors import BackendUnavailable, InvalidArgument, TechgraphError

# Procedures a read-only user may call: the schema of the data, nothing that reaches outside it.
ALLOWED_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
    }
)
# Namespaces of Cypher's own functions (temporal, spatial, vector). Every other namespaced call
# is a user-defined function (APOC, plugins), refused: apoc.cypher.runFirstColumn* runs Cypher
# given as a string, which no text check could vet.
ALLOWED_FUNCTION_NAMESPACES = frozenset(
    {"date", "datetime", "localdatetime", "localtime", "time", "duration", "point", "vector"}
)
# Words that begin a clause or command that writes, loads, administers or changes the schema or
# the database (case-insensitive, outside strings, comments and backtick-quoted names).
FORBIDDEN_WORDS = {
    "CREATE": "CREATE writes",
    "MERGE": "MERGE writes",
    "SET": "SET writes",
    "DELETE": "DELETE writes",
    "DETACH": "DETACH DELETE writes",
    "REMOVE": "REMOVE writes",
    "FOREACH": "FOREACH is for writing",
    "INSERT": "INSERT writes",
    "LOAD": "LOAD CSV reads files and URLs",
    "DROP": "DROP changes the schema or the databases",
    "ALTER": "ALTER is an administration command",
    "RENAME": "RENAME is an administration command",
    "GRANT": "GRANT is an administration command",
    "DENY": "DENY is an administration command",
    "REVOKE": "REVOKE is an administration command",
    "SHOW": "SHOW commands are not served here",
    "USE": "USE switches databases",
    "START": "START is an administration command",
    "STOP": "STOP is an administration command",
    "TERMINATE": "TERMINATE is an administration command",
    "ENABLE": "ENABLE is an administration command",
    "DEALLOCATE": "DEALLOCATE is an administration command",
    "REALLOCATE": "REALLOCATE is an administration command",
    "TRANSACTIONS": "CALL { ... } IN TRANSACTIONS commits on its own",
    "PERIODIC": "USING PERIODIC COMMIT commits on its own",
    "EXPLAIN": "EXPLAIN and PROFILE are added by the server, not sent",
    "PROFILE": "EXPLAIN and PROFILE are added by the server, not sent",
    "CYPHER": "query options (CYPHER ...) are not accepted",
}
# Plan operators that write, load, lock or administer (matched as prefixes of the operator's
# name, `Create@neo4j` -> `Create`). With the query type checked too, this is the second net.
FORBIDDEN_OPERATORS = (
    "Create",
    "Merge",
    "LockingMerge",
    "Set",
    "Delete",
    "DetachDelete",
    "Remove",
    "Foreach",
    "Transaction",
    "LoadCSV",
    "Lock",
    "EmptyResult",  # what a plan ends with when the query returns nothing because it writes
    "AdministrationCommand",
    "SystemProcedureCall",
    "Drop",
    "Alter",
    "Grant",
    "Deny",
    "Revoke",
    "Start",
    "Stop",
    "Enable",
    "Rename",
    "Terminate",
    "Show",
    "DoNothingIfExists",
)
MAX_PARAMETERS = 100

_NAMESPACED_CALL = re.compile(r"([A-Za-z_][\w]*(?:\s*\.\s*[A-Za-z_`][\w`]*)+)\s*\(")


class CypherRefused(TechgraphError):
    """A query the Cypher endpoint does not run (it writes, administers, loads, or cannot be
    vetted); nothing was executed."""

    status_code = 400


class CypherDisabled(TechgraphError):
    status_code = 403


class CypherUnsupported(TechgraphError):
    """Cypher on a backend that has none (the embedded store)."""

    status_code = 501


class CypherTimeout(TechgraphError):
    status_code = 504


# -- layer 1: the text ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str
    """`word` (an unquoted name or keyword), `quoted` (a `backtick` name), `punct`."""
    text: str


def tokens(query: str) -> Iterator[Token]:
    """The query's words, quoted names and punctuation; comments and string literals skipped.

    Unterminated strings, comments and quoted names are refused: what the server would make of
    them is exactly what this layer cannot know."""
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif query.startswith("//", i):
            end = query.find("\n", i)
            i = n if end < 0 else end + 1
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            if end < 0:
                raise CypherRefused("the query has a /* comment that is never closed.")
            i = end + 2
        elif c in "'\"":
            i = _string_end(query, i, c)
        elif c == "`":
            end = query.find("`", i + 1)
            while end >= 0 and query.startswith("``", end):  # `` is an escaped backtick
                end = query.find("`", end + 2)
            if end < 0:
                raise CypherRefused("the query has a `quoted name that is never closed.")
            yield Token("quoted", query[i + 1 : end].replace("``", "`"))
            i = end + 1
        elif c == "\\":
            raise CypherRefused(
                "backslash escapes are only accepted inside string literals; write names "
                "plainly (or quoted in backticks)."
            )
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (query[j].isalnum() or query[j] == "_"):
                j += 1
            yield Token("word", query[i:j])
            i = j
        else:
            yield Token("punct", c)
            i += 1


def _string_end(query: str, start: int, quote: str) -> int:
    i = start + 1
    while i < len(query):
        if query[i] == "\\":
            i += 2
            continue
        if query[i] == quote:
            return i + 1
        i += 1
    raise CypherRefused("the query has a string literal that is never closed.")


def check_text(query: str, max_chars: int = 20_000) -> None:
    """Layer 1: refuse what is not a single read-only query by its words alone."""
    if not query.strip():
        raise CypherRefused("the query is empty.")
    if len(query) > max_chars:
        raise CypherRefused(f"the query is longer than {max_chars} characters.")
    toks = list(tokens(query))
    if not toks:
        raise CypherRefused("the query is only comments.")
    for i, tok in enumerate(toks):
        if tok.kind == "punct" and tok.text == ";" and i != len(toks) - 1:
            raise CypherRefused("send one statement at a time (a ; separates two).")
        if tok.kind != "word":
            continue
        prev = toks[i - 1].text if i else ""
        word = tok.text.upper()
        # `n.set` or `:Show` is a property, label or type name, not a clause.
        if prev in (".", ":", "$") or word not in FORBIDDEN_WORDS:
            continue
        raise CypherRefused(
            f"{tok.text} is refused: {FORBIDDEN_WORDS[word]}; this endpoint runs read-only "
            "queries (a property or label of that name must be `quoted`)."
        )
    _check_calls(toks)


def _check_calls(toks: list[Token]) -> None:
    """Namespaced names followed by `(`, and every name after CALL, must be allowed."""
    i = 0
    while i < len(toks):
        tok = toks[i]
        after_call = i > 0 and toks[i - 1].kind == "word" and toks[i - 1].text.upper() == "CALL"
        if tok.kind not in ("word", "quoted"):
            i += 1
            continue
        parts = tok.text.split(".")
        j = i + 1
        while j + 1 < len(toks) and toks[j].text == "." and toks[j + 1].kind in ("word", "quoted"):
            parts += toks[j + 1].text.split(".")
            j += 2
        called = j < len(toks) and toks[j].text == "("
        name = ".".join(p.strip() for p in parts).lower()
        if after_call and (len(parts) > 1 or called):
            if name not in ALLOWED_PROCEDURES:
                raise CypherRefused(
                    f"the procedure {name} is not allowed; allowed are "
                    f"{', '.join(sorted(ALLOWED_PROCEDURES))}."
                )
        elif called and len(parts) > 1:
            prev = toks[i - 1].text if i else ""
            if prev != "." and parts[0].lower() not in ALLOWED_FUNCTION_NAMESPACES:
                raise CypherRefused(
                    f"the function {name} is not allowed; only Cypher's own functions are "
                    "(user-defined functions such as APOC's are not)."
                )
        i = j


# -- layer 2: the plan -----------------------------------------------------------------------------


def operators(plan: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(operator name without its `@database`, details) of a plan and all its children."""
    yield (
        str(plan.get("operatorType", "")).split("@")[0],
        str(plan.get("args", {}).get("Details", "")),
    )
    for child in plan.get("children", ()):
        yield from operators(child)


def check_plan(query_type: str | None, plan: Mapping[str, Any] | None) -> None:
    """Layer 2: what the server's planner says the query is."""
    if query_type != "r":
        kind = {"w": "writes", "rw": "reads and writes", "s": "changes the schema or the system"}
        what = kind.get(query_type or "", "is not read-only")
        raise CypherRefused(
            f"the server classifies the query as one that {what}; this endpoint runs read-only "
            "queries."
        )
    if plan is None:
        raise CypherRefused("the server gave no plan for the query, so it cannot be vetted.")
    for op, details in operators(plan):
        if op.startswith(FORBIDDEN_OPERATORS):
            raise CypherRefused(f"the query's plan has a {op} operator; it is not read-only.")
        if op == "ProcedureCall":
            name = details.split("(", 1)[0].strip().strip("`").lower()
            if name not in ALLOWED_PROCEDURES:
                raise CypherRefused(f"the procedure {name} is not allowed.")
        for call in _NAMESPACED_CALL.findall(details):
            namespace = call.split(".")[0].strip().strip("`").lower()
            if op != "ProcedureCall" and namespace not in ALLOWED_FUNCTION_NAMESPACES:
                # Variables and properties never stand before a "(" in a plan's details;
                # namespaced names there are function calls.
                raise CypherRefused(f"the function {call} is not allowed.")


INT64 = (-(2**63), 2**63 - 1)


def _check_value(name: str, value: Any) -> None:
    """Parameters must be values Bolt can carry: JSON gives integers of any size, Neo4j's are
    64-bit (the driver would fail while sending, which is the caller's mistake, not ours)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        raise InvalidArgument(f"parameter {name}: {value} is outside Neo4j's 64-bit integers.")
    if isinstance(value, list):
        for item in value:
            _check_value(name, item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_value(name, item)


# -- layer 3: running it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CypherAnswer:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


class CypherRunner:
    """Runs vetted queries on its own small driver pool (TECHGRAPH_CYPHER_MAX_CONCURRENCY
    connections), so that slow queries cannot starve the question endpoints of connections."""

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str,
        *,
        timeout: float,
        row_limit: int,
        max_concurrency: int,
        max_chars: int = 20_000,
    ) -> None:
        self.uri = uri
        self.database = database
        self.timeout = timeout
        self.row_limit = row_limit
        self.max_chars = max_chars
        self._slots = threading.BoundedSemaphore(max_concurrency)
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                max_connection_pool_size=max_concurrency,
                connection_acquisition_timeout=timeout,
                connection_timeout=10.0,
            )
        except (ValueError, neo4j_exc.ConfigurationError) as exc:
            raise BackendUnavailable(f"{uri!r} is not a Neo4j URI ({exc}).") from None

    def close(self) -> None:
        self._driver.close()

    def run(self, query: str, parameters: Mapping[str, Any]) -> CypherAnswer:
        check_text(query, self.max_chars)
        if len(parameters) > MAX_PARAMETERS:
            raise InvalidArgument(f"send at most {MAX_PARAMETERS} parameters.")
        for name, value in parameters.items():
            _check_value(name, value)
        if not self._slots.acquire(timeout=self.timeout):
            raise CypherTimeout(
                "too many Cypher queries are running; try again in a moment "
                "(TECHGRAPH_CYPHER_MAX_CONCURRENCY)."
            )
        try:
            with self._errors(), self._session() as session:
                summary = session.run(
                    neo4j.Query("EXPLAIN " + query, timeout=self.timeout), dict(parameters)
                ).consume()
                check_plan(summary.query_type, summary.plan)
                return self._execute(session, query, parameters)
        finally:
            self._slots.release()

    def _session(self) -> neo4j.Session:
        return self._driver.session(
            database=self.database, default_access_mode=neo4j.READ_ACCESS, fetch_size=100
        )

    def _execute(
        self, session: neo4j.Session, query: str, parameters: Mapping[str, Any]
    ) -> CypherAnswer:
        tx = session.begin_transaction(
            timeout=self.timeout, metadata={"app": "techgraph-api", "endpoint": "/v1/cypher"}
        )
        try:
            result = tx.run(query, dict(parameters))
            columns = list(result.keys())
            rows: list[dict[str, Any]] = []
            truncated = False
            for record in result:
                if len(rows) == self.row_limit:
                    truncated = True
                    break
                # keys() and iteration, not items(): the driver leaves items() unannotated
                rows.append({k: to_json(v) for k, v in zip(record.keys(), record, strict=True)})
            return CypherAnswer(columns, rows, truncated)
        finally:
            tx.close()  # never committed: rolled back whatever happened

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver exceptions as techgraph errors; client errors are the query's fault (400)."""
        try:
            yield
        except TechgraphError:
            raise
        except (neo4j_exc.Neo4jError, neo4j_exc.DriverError, OSError) as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: Exception) -> TechgraphError:
        code = getattr(exc, "code", None) or ""
        text = _first_line(exc)
        if "TransactionTimedOut" in code:
            return CypherTimeout(
                f"the query ran longer than {self.timeout:g} s and was stopped "
                "(TECHGRAPH_CYPHER_TIMEOUT); narrow it or add a LIMIT."
            )
        if isinstance(exc, neo4j_exc.AuthError):
            return BackendUnavailable(f"Neo4j at {self.uri} refused the user name or password.")
        if isinstance(exc, neo4j_exc.ServiceUnavailable | neo4j_exc.SessionExpired | OSError):
            return BackendUnavailable(f"cannot reach Neo4j at {self.uri} ({text}).")
        if code.endswith(("AccessMode", "Forbidden")):
            return CypherRefused(f"the server refused the query as a write: {text}")
        if isinstance(exc, neo4j_exc.ClientError):
            return CypherRefused(f"Neo4j refused the query: {text}")
        if isinstance(exc, neo4j_exc.TransientError):
            return BackendUnavailable(f"Neo4j could not run the query now ({text}).")
        return TechgraphError(f"Neo4j failed on the query: {text}")


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(text).strip().splitlines()[0]


# -- values as JSON ------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A value the driver returned, as JSON: graph elements as objects, temporal values as ISO
    8601 strings, non-finite floats as strings (JSON has no NaN)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, neo4j_graph.Node):
        return {
            "element_id": value.element_id,
            "labels": sorted(value.labels),
            "properties": {k: to_json(v) for k, v in value.items()},
        }
    if isinstance(value, neo4j_graph.Relationship):
        return {
            "element_id": value.element_id,
            "type": value.type,
            "start": value.start_node.element_id if value.start_node else None,
            "end": value.end_node.element_id if value.end_node else None,
            "properties": {k: to_json(v) for k, v in value.items()},
        }
    if isinstance(value, neo4j_graph.Path):
        return {
            "nodes": [to_json(n) for n in value.nodes],
            "relationships": [to_json(r) for r in value.relationships],
        }
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, neo4j_spatial.Point):
        return {"srid": value.srid, "coordinates": list(value)}
    if isinstance(
        value,
        neo4j_time.Date | neo4j_time.DateTime | neo4j_time.Time | neo4j_time.Duration,
    ):
        return value.iso_format()
    return str(value)
