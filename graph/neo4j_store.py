"""The Neo4j backend: the official `neo4j` driver, Cypher from queries/, parameters only.

Each batch is written in one transaction: `UNWIND … MERGE` per node label and per relationship
type, in chunks of CHUNK rows; a relationship whose endpoint is not in the graph makes its
statement write fewer rows than it was given, which fails the batch. Driver exceptions are turned
into techgraph errors here, so callers never see a driver traceback.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import neo4j
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

CHUNK = 5000  # rows per UNWIND statement; all chunks of a batch share one transaction
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

    def _read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        with self._errors(), self._session(read=True) as session:
            # dict(record): the values are already plain maps and lists, and Record.data()
            # would walk them all again (a quarter of a query's client time).
            return session.execute_read(lambda tx: [dict(r) for r in tx.run(query, params)])

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
        outside = self.schema.validate_batch(batch)
        nodes_by_label: dict[str, list[Node]] = defaultdict(list)
        for node in batch.nodes:
            nodes_by_label[self.schema.node_type_of(node.id).name].append(node)
        rels_by_type: dict[str, list[Relationship]] = defaultdict(list)
        for rel in batch.relationships:
            rels_by_type[rel.type].append(rel)
        statements = [
            _Statement(cypher("merge_nodes", label=self.schema.label(label)), chunk, _node_row)
            for label, nodes in nodes_by_label.items()
            for chunk in _chunks(nodes)
        ] + [
            _Statement(
                cypher("merge_relationships", type=self.schema.rel_type(rtype)),
                chunk,
                _rel_row,
                rel_type=rtype,
            )
            for rtype, rels in rels_by_type.items()
            for chunk in _chunks(rels)
        ]

        def work(tx: ManagedTransaction) -> None:
            if replace_source is not None:
                self._forget(tx, replace_source)
            for i, statement in enumerate(statements):
                rows = statement.rows()
                result = tx.run(statement.query, rows=rows)
                # The server executes a statement while its result is pulled: build the next
                # chunk's rows meanwhile, so that client and server work at the same time.
                if i + 1 < len(statements):
                    statements[i + 1].rows()
                written = result.single(strict=True)["written"]
                if statement.rel_type is not None and written != len(rows):
                    # MATCH drops a row whose endpoint is not in the graph. Endpoints are not
                    # checked beforehand (a second pass over every id of the batch); only a
                    # shortfall asks which ones are missing. Raising rolls everything back.
                    self._endpoints_missing(tx, outside, statement, written)

        with self._errors(), self._session() as session:
            session.execute_write(work)
        return WriteSummary(nodes=len(batch.nodes), relationships=len(batch.relationships))

    def _endpoints_missing(
        self, tx: ManagedTransaction, outside: set[str], statement: _Statement, written: int
    ) -> None:
        missing = {r["id"] for r in tx.run(cypher("missing_ids"), ids=sorted(outside))}
        if missing:
            raise missing_endpoints_error(missing)
        raise SchemaViolation(  # an endpoint vanished under us (deleted concurrently)
            f"{len(statement.rows()) - written} {statement.rel_type} relationships lost an "
            "endpoint while writing; nothing of the batch was written. Try again."
        )

    def _forget(self, tx: ManagedTransaction, doc_id: str) -> None:
        """Remove what one document contributed (see GraphStore.write)."""
        ids = [r["id"] for r in tx.run(cypher("document_entities"), doc=doc_id)] + [doc_id]
        tx.run(cypher("forget_relationships"), ids=ids, source=doc_id).consume()
        tx.run(cypher("forget_nodes"), ids=ids, source=doc_id).consume()

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
        rows = self._read(cypher("get_nodes"), ids=list(dict.fromkeys(node_ids)))
        nodes = (_node(r["node"]) for r in rows)
        return {n.id: n for n in nodes}

    def expand(self, node_ids: Sequence[str], steps: Sequence[Step]) -> list[tuple[str, Neighbour]]:
        if not node_ids or not steps:
            return []
        types = self.schema.rel_alternation(s.rel_type for s in steps)
        rows = self._read(
            cypher("expand", types=types),
            ids=list(dict.fromkeys(node_ids)),
            steps=[{"type": s.rel_type, "direction": Direction(s.direction).value} for s in steps],
        )
        return [
            (
                r["origin"],
                Neighbour(_rel(r["source"], r["type"], r["target"], r["rel"]), _node(r["node"])),
            )
            for r in rows
        ]

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
    """One UNWIND statement of a write: its query and the facts of one chunk, whose parameter
    rows are built when first needed (while the server runs the statement before it)."""

    query: str
    facts: Sequence[Node] | Sequence[Relationship]
    to_row: Callable[[Any], dict[str, Any]]
    rel_type: str | None = None  # relationship statements check how many rows they wrote
    _rows: list[dict[str, Any]] | None = field(default=None, init=False, repr=False)

    def rows(self) -> list[dict[str, Any]]:
        """The parameter rows, built on first use and kept for a retry of the transaction."""
        if self._rows is None:
            self._rows = [self.to_row(fact) for fact in self.facts]
        return self._rows


def _node_row(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "name": node.name,
        "aliases": unique(node.aliases),
        "props": dict(node.props),
        "provenance": _prov_rows(node.provenance),
    }


def _rel_row(rel: Relationship) -> dict[str, Any]:
    return {
        "source": rel.source,
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


def _node(props: Mapping[str, Any]) -> Node:
    return Node(
        id=props["id"],
        name=props.get("name", props["id"]),
        aliases=tuple(props.get("aliases") or ()),
        props={k: v for k, v in props.items() if k not in RESERVED_PROPERTIES},
        provenance=tuple(Provenance.from_dict(json.loads(p)) for p in props.get("provenance", ())),
    )


def _rel(source: str, rtype: str, target: str, props: Mapping[str, Any]) -> Relationship:
    return Relationship(
        source=source,
        type=rtype,
        target=target,
        props={k: v for k, v in props.items() if k not in RESERVED_PROPERTIES},
        provenance=tuple(Provenance.from_dict(json.loads(p)) for p in props.get("provenance", ())),
    )


def _chunks(facts: Sequence[_Fact]) -> Iterator[Sequence[_Fact]]:
    for start in range(0, len(facts), CHUNK):
        yield facts[start : start + CHUNK]


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(text).strip().splitlines()[0]
