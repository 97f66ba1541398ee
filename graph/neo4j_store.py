"""The Neo4j backend: the official `neo4j` driver, Cypher from queries/, parameters only.

Each batch is written in one transaction (and `write_documents` puts several documents' batches
in one): one statement forgets the documents' earlier facts and merges the nodes
(queries/forget_and_merge_nodes.cypher), then one per relationship type merges the
relationships (queries/merge_relationships.cypher), all sent without waiting for the one before,
so that a batch costs about one round trip. Driver exceptions are turned into techgraph
errors here, so callers never see a driver traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import neo4j
import orjson
from neo4j import GraphDatabase, ManagedTransaction
from neo4j import exceptions as neo4j_exc

from techgraph.queries import load as cypher

from .errors import BackendUnavailable, SchemaViolation, TechgraphError
from .model import (
    Counts,
    FactBatch,
    Hop,
    Node,
    Provenance,
    Relationship,
    Route,
    WriteSummary,
    json_key,
    unique,
)
from .schema import RESERVED_PROPERTIES, Schema, missing_endpoints_error
from .store import Direction, GraphStore, Neighbour, Step

CHUNK = 5000  # rows per write statement; all statements of a batch share one transaction
_Fact = TypeVar("_Fact", Node, Relationship)


class Neo4jStore(GraphStore):
    backend = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        schema: Schema | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        super().__init__(schema)
        self.uri = uri
        self.database = database
        self._local = threading.local()  # the read transaction of reading(), per thread
        with self._errors():
            try:
                self._driver = GraphDatabase.driver(
                    uri,
                    auth=(user, password),
                    connection_timeout=connect_timeout,
                    max_transaction_retry_time=15.0,
                )
            except (ValueError, neo4j_exc.ConfigurationError) as exc:
                raise BackendUnavailable(
                    f"{uri!r} is not a Neo4j URI ({exc}); use bolt://host:7687 or "
                    "neo4j+s://host for a cluster or Aura (TECHGRAPH_NEO4J_URI)."
                ) from None
            self._driver.verify_connectivity()

    # -- error mapping -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except TechgraphError:
            raise
        except neo4j_exc.AuthError:
            raise BackendUnavailable(
                f"Neo4j at {self.uri} refused the user name or password; set "
                "TECHGRAPH_NEO4J_USER and TECHGRAPH_NEO4J_PASSWORD to the right ones."
            ) from None
        except (neo4j_exc.ServiceUnavailable, neo4j_exc.SessionExpired, OSError) as exc:
            raise BackendUnavailable(
                f"cannot reach Neo4j at {self.uri} ({_first_line(exc)}); start it with "
                "`techgraph neo4j start` or point TECHGRAPH_NEO4J_URI at a running server."
            ) from None
        except neo4j_exc.ConstraintError as exc:
            raise SchemaViolation(
                f"Neo4j refused the write: {_first_line(exc)}. Nothing of the batch was written."
            ) from None
        except neo4j_exc.Neo4jError as exc:
            raise TechgraphError(
                f"Neo4j at {self.uri} reported {exc.code}: {_first_line(exc)}"
            ) from None
        except neo4j_exc.DriverError as exc:
            raise BackendUnavailable(f"the Neo4j driver failed: {_first_line(exc)}") from None

    def _session(self, read: bool = False) -> neo4j.Session:
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        if getattr(self._local, "tx", None) is not None:
            yield  # inside another block: its transaction serves
            return
        with self._errors(), self._session(read=True) as session:
            tx = session.begin_transaction()
            self._local.tx = tx
            try:
                yield
            finally:
                self._local.tx = None
                # Nothing to commit; a broken connection must not hide the block's own error.
                with contextlib.suppress(neo4j_exc.Neo4jError, neo4j_exc.DriverError, OSError):
                    tx.close()

    def _read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        tx: neo4j.Transaction | None = getattr(self._local, "tx", None)
        if tx is not None:
            with self._errors():
                return [dict(r) for r in tx.run(query, params)]
        # One read on its own runs as an auto-commit query: RUN and PULL in one message, no
        # BEGIN and COMMIT (0.31 against 0.51 ms per entity lookup in the driver). A transient
        # failure (a cluster member going away, a lock timeout) is tried once more, as
        # execute_read would; an unreachable server is reported at once.
        with self._errors():
            try:
                return self._run_alone(query, params)
            except (neo4j_exc.TransientError, neo4j_exc.SessionExpired):
                return self._run_alone(query, params)

    def _run_alone(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._session(read=True) as session:
            # dict(record): the values are already plain maps and lists, and Record.data()
            # would walk them all again.
            return [dict(r) for r in session.run(query, params)]

    # -- writing -------------------------------------------------------------------------------

    def init(self) -> None:
        with self._errors(), self._session() as session:
            session.run(cypher("create_entity_constraint")).consume()
            for name in self.schema.node_types:
                index = f"`{name.lower()}_name`"
                session.run(
                    cypher("create_name_index", label=self.schema.label(name), index=index)
                ).consume()

    def _write(self, batch: FactBatch, replace_source: str | None = None) -> WriteSummary:
        return self._write_together([batch], [replace_source] if replace_source else [])

    def _write_documents(self, documents: Sequence[tuple[FactBatch, str]]) -> WriteSummary:
        """All the documents in ONE transaction (see GraphStore.write_documents): a commit costs
        the server about as much as a small document's statements, so a group of documents
        commits once. Each document is whole in it; the group is all or nothing."""
        return self._write_together(
            [batch for batch, _ in documents], list(unique(doc for _, doc in documents))
        )

    def _write_together(self, batches: Sequence[FactBatch], sources: list[str]) -> WriteSummary:
        """Forget `sources`, then merge the batches' facts: one transaction."""
        union = FactBatch()
        for batch in batches:
            union.extend(batch)
        outside = self.schema.validate_batch(union)
        # A fact given twice (in one batch, or by two documents of a group) is merged here
        # first, as writing it twice would leave it: one UNWIND row per node and per
        # relationship, so that no row of a statement has to see what another row of it wrote.
        nodes = _one_per(union.nodes, lambda n: n.id, _then_node)
        rels = _one_per(union.relationships, lambda r: r.key, _then_relationship)
        statements = self._statements(nodes, rels, sources)

        def work(tx: ManagedTransaction) -> None:
            # Each statement is sent before the one before it is read back: the server always
            # has the next one queued (one wait per batch, not one per statement), and the
            # client builds the next statement's rows while the server works.
            pending: tuple[neo4j.Result, _Statement] | None = None
            for statement in statements:
                result = tx.run(statement.query, statement.params())
                if pending is not None:
                    self._check_written(tx, *pending, outside)
                pending = (result, statement)
            if pending is not None:
                self._check_written(tx, *pending, outside)

        with self._errors(), self._session() as session:
            session.execute_write(work)
        return WriteSummary(nodes=len(union.nodes), relationships=len(union.relationships))

    def _statements(
        self, nodes: Sequence[Node], rels: Sequence[Relationship], sources: list[str]
    ) -> list[_Statement]:
        """Forget (the documents in `sources`) and merge the nodes, CHUNK at a time; then the
        relationships, one statement per type and CHUNK: all in one transaction."""
        found: list[_Statement] = []
        forget = cypher("forget_and_merge_nodes")
        for start in range(0, max(len(nodes), 1 if sources else 0), CHUNK):
            chunk = nodes[start : start + CHUNK]
            found.append(_Statement(forget, "nodes", chunk, self._node_row, sources))
            sources = []
        by_type: dict[str, list[Relationship]] = defaultdict(list)
        for rel in rels:
            by_type[rel.type].append(rel)
        for rtype, of_type in by_type.items():
            query = cypher("merge_relationships", type=self.schema.rel_type(rtype))
            for start in range(0, len(of_type), CHUNK):
                found.append(_Statement(query, "rows", of_type[start : start + CHUNK], _rel_row))
        return found

    def _check_written(
        self, tx: ManagedTransaction, result: neo4j.Result, statement: _Statement, outside: set[str]
    ) -> None:
        if statement.key != "rows":
            result.consume()
            return
        written = result.single(strict=True)["written"]
        if written != len(statement.facts):
            # MATCH drops a relationship whose endpoint is not in the graph. Endpoints are not
            # checked beforehand (a pass over every id of the batch); only a shortfall asks
            # which are missing. Raising rolls everything back.
            self._endpoints_missing(tx, outside, len(statement.facts) - written)

    def _node_row(self, node: Node) -> dict[str, Any]:
        # The label travels as a row value ($(row.label) in forget_and_merge_nodes): only a
        # name the schema has validated, never user text.
        return _node_row(node, self.schema.node_type_of(node.id).name)

    def _endpoints_missing(self, tx: ManagedTransaction, outside: set[str], lost: int) -> None:
        missing = {r["id"] for r in tx.run(cypher("missing_ids"), ids=sorted(outside))}
        if missing:
            raise missing_endpoints_error(missing)
        raise SchemaViolation(  # an endpoint was deleted by another writer meanwhile
            f"{lost} relationships lost an endpoint while writing; nothing of the batch was "
            "written. Try again."
        )

    def clear(self) -> None:
        with self._errors(), self._session() as session:
            session.run(cypher("delete_all_relationships")).consume()
            session.run(cypher("delete_all")).consume()

    def close(self) -> None:
        self._driver.close()

    # -- reading -------------------------------------------------------------------------------

    def get_node(self, node_id: str) -> Node | None:
        rows = self._read(cypher("get_node"), id=node_id)
        return _node(rows[0]["node"]) if rows else None

    def neighbours(
        self,
        node_id: str,
        rel_types: Sequence[str] | None = None,
        direction: Direction = Direction.BOTH,
    ) -> list[Neighbour]:
        self._check_rel_types(rel_types)
        rows = self._read(
            cypher("neighbours"),
            id=node_id,
            types=list(rel_types) if rel_types else None,
            direction=Direction(direction).value,
        )
        return [
            Neighbour(_rel(r["source"], r["type"], r["target"], r["rel"]), _node(r["node"]))
            for r in rows
        ]

    def get_nodes(self, node_ids: Sequence[str]) -> dict[str, Node]:
        if not node_ids:
            return {}
        rows = self._read(cypher("get_nodes"), ids=list(dict.fromkeys(node_ids)))
        nodes = (_node(props) for props in rows[0]["nodes"])
        return {n.id: n for n in nodes}

    def expand(self, node_ids: Sequence[str], steps: Sequence[Step]) -> list[tuple[str, Neighbour]]:
        if not node_ids or not steps:
            return []
        types = self.schema.rel_alternation(s.rel_type for s in steps)
        rows = self._read(
            cypher("expand", types=types),
            ids=list(dict.fromkeys(node_ids)),
            steps=_step_rows(steps),
        )
        nodes = {props["id"]: _node(props) for props in rows[0]["nodes"]}
        return _hops(rows[0]["hops"], nodes)

    def expand_then(
        self,
        node_ids: Sequence[str],
        steps: Sequence[Step],
        then: Sequence[Step],
        kinds: Sequence[str],
    ) -> tuple[list[tuple[str, Neighbour]], list[tuple[str, Neighbour]]]:
        if not node_ids or not steps:
            return [], []
        if not then or not kinds:
            return self.expand(node_ids, steps), []
        rows = self._read(
            cypher(
                "expand_then",
                types=self.schema.rel_alternation(s.rel_type for s in steps),
                then_types=self.schema.rel_alternation(s.rel_type for s in then),
            ),
            ids=list(dict.fromkeys(node_ids)),
            steps=_step_rows(steps),
            then=_step_rows(then),
            kinds=[f"{kind}:" for kind in dict.fromkeys(kinds)],
        )
        row = rows[0]
        nodes = {props["id"]: _node(props) for props in row["nodes"]}
        nodes.update((props["id"], _node(props)) for props in row["far"])
        return _hops(row["hops"], nodes), _hops(row["then_hops"], nodes)

    def shortest_paths(
        self, source: str, target: str, rel_types: Sequence[str] | None, max_hops: int, k: int
    ) -> list[Route]:
        if source == target:
            return []
        if not 1 <= max_hops <= 99:
            raise ValueError("max_hops out of range")
        query = cypher(
            "shortest_paths", types=self.schema.rel_alternation(rel_types), max_hops=str(max_hops)
        )
        rows = self._read(query, source=source, target=target, k=k)
        paths: list[Route] = []
        for row in rows:
            nodes = [_node(n) for n in row["nodes"]]
            hops = tuple(
                Hop(nodes[i], _rel(r["source"], r["type"], r["target"], r["props"]), nodes[i + 1])
                for i, r in enumerate(row["rels"])
            )
            paths.append(hops)
        return paths

    def relationships(self, rel_type: str) -> list[Relationship]:
        rows = self._read(
            cypher("relationships_of_type", types=self.schema.rel_alternation([rel_type]))
        )
        return [_rel(r["source"], r["type"], r["target"], r["rel"]) for r in rows]

    def entity_names(self) -> list[tuple[str, str, tuple[str, ...]]]:
        rows = self._read(cypher("entity_names"))
        return [(r["id"], r["name"], tuple(r["aliases"])) for r in rows]

    def counts(self) -> Counts:
        nodes = {r["label"]: r["count"] for r in self._read(cypher("count_nodes"))}
        rels = {r["type"]: r["count"] for r in self._read(cypher("count_relationships"))}
        return Counts(nodes=nodes, relationships=rels)

    def server_info(self) -> dict[str, str]:
        rows = self._read(cypher("server_info"))
        return {k: str(v) for k, v in rows[0].items()} if rows else {}


@dataclass
class _Statement:
    """One statement of a batch's write; its parameter rows are built on first use (while the
    server runs the statement before) and kept for a retry of the transaction."""

    query: str
    key: str  # the parameter that takes the rows: `nodes` or `rows` (relationships)
    facts: Sequence[Node] | Sequence[Relationship]
    to_row: Callable[[Any], dict[str, Any]]
    sources: Sequence[str] = ()  # forget_and_merge_nodes: the documents to forget first
    _params: dict[str, Any] | None = None

    def params(self) -> dict[str, Any]:
        if self._params is None:
            rows = [self.to_row(fact) for fact in self.facts]
            self._params = {self.key: rows}
            if self.key == "nodes":
                self._params["sources"] = list(self.sources)
        return self._params


def _one_per(
    facts: Sequence[_Fact], key: Callable[[_Fact], object], merge: Callable[[_Fact, _Fact], _Fact]
) -> list[_Fact]:
    """One fact per key, as writing them one after the other would leave it."""
    by_key: dict[object, _Fact] = {}
    for fact in facts:
        seen = by_key.get(key(fact))
        by_key[key(fact)] = fact if seen is None else merge(seen, fact)
    return list(by_key.values())


def _then_node(seen: Node, node: Node) -> Node:
    """The name and scalars of the later, the aliases and evidence of both."""
    return dataclasses.replace(
        node,
        aliases=tuple(unique([*seen.aliases, *node.aliases])),
        props={**seen.props, **node.props},
        provenance=seen.provenance + node.provenance,
    )


def _then_relationship(seen: Relationship, rel: Relationship) -> Relationship:
    """The scalars of the later, the evidence of both."""
    return dataclasses.replace(
        rel, props={**seen.props, **rel.props}, provenance=seen.provenance + rel.provenance
    )


def _node_row(node: Node, label: str) -> dict[str, Any]:
    return {
        "id": node.id,
        "label": label,
        "name": node.name,
        "aliases": unique(node.aliases),
        "props": dict(node.props),
        "provenance": _prov_rows(node.provenance),
    }


def _rel_row(rel: Relationship) -> dict[str, Any]:
    return {
        "source": rel.source,
        "type": rel.type,
        "target": rel.target,
        "props": dict(rel.props),
        "provenance": _prov_rows(rel.provenance),
        # for a new relationship; an existing one recomputes it from all its records
        "confidence": rel.confidence,
    }


def _prov_rows(provenance: Sequence[Provenance]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for p in provenance:
        text = p.to_json()  # encoded once: the key is the hash of this same text
        key = json_key(text)
        rows[key] = {"key": key, "json": text, "source": p.source, "confidence": p.confidence}
    return list(rows.values())


def _step_rows(steps: Sequence[Step]) -> list[dict[str, Any]]:
    return [
        {"type": s.rel_type, "direction": Direction(s.direction).value, "to": s.to} for s in steps
    ]


def _hops(rows: Sequence[Sequence[Any]], nodes: Mapping[str, Node]) -> list[tuple[str, Neighbour]]:
    """(origin, neighbour) from the rows of expand.cypher and expand_then.cypher: origin id,
    type, whether the relationship starts at the origin, its properties, the far end's id."""
    return [
        (
            origin,
            Neighbour(
                _rel(origin, rtype, other, rel) if out else _rel(other, rtype, origin, rel),
                nodes[other],
            ),
        )
        for origin, rtype, out, rel, other in rows
    ]


def _node(props: Mapping[str, Any]) -> Node:
    provenance = props.get("provenance")
    return Node(
        props["id"],
        props.get("name", props["id"]),
        tuple(props.get("aliases") or ()),
        {k: v for k, v in props.items() if k not in RESERVED_PROPERTIES},
        tuple(map(_provenance, provenance)) if provenance else (),
    )


def _rel(source: str, rtype: str, target: str, props: Mapping[str, Any]) -> Relationship:
    provenance = props.get("provenance")
    return Relationship(
        source,
        rtype,
        target,
        {k: v for k, v in props.items() if k not in RESERVED_PROPERTIES},
        tuple(map(_provenance, provenance)) if provenance else (),
    )


@functools.lru_cache(maxsize=100_000)
def _provenance(text: str) -> Provenance:
    """A stored provenance record, decoded once: questions read the same edges again and again
    (Provenance is immutable, so sharing one is safe). orjson and a direct constructor call:
    1.4 against 3.0 µs per record, and the largest exposure answers decode ten thousand."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:  # beyond what orjson reads (an integer over 64 bits)
        data = json.loads(text)
    try:
        return Provenance(**data)
    except TypeError:  # a field this version does not know
        return Provenance.from_dict(data)


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(text).strip().splitlines()[0]
