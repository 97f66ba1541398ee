"""The embedded backend: a networkx graph in memory, kept durable in a local data directory.

On disk, a data directory holds

- ``graph.json``: a snapshot of the whole graph, replaced atomically (write, fsync, rename);
- ``journal.jsonl``: one line per written batch since that snapshot, each line
  ``<sha256 of the JSON> <JSON>``, appended and fsynced;
- ``lock``: taken exclusively while a process writes.

A write appends one line, so its cost depends on the batch, not on the graph's size. A crash in
the middle of an append leaves a torn last line, which readers ignore and the next writer cuts
off: the previous state stays readable. When the journal has grown larger than the snapshot, the
writer folds it into a new snapshot (amortised, like a log-structured store). Other processes'
writes are picked up on the next read by looking at the journal's size.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from .errors import BackendUnavailable, ConfigError, StoreCorrupt
from .model import (
    Counts,
    FactBatch,
    Hop,
    Node,
    Provenance,
    Relationship,
    Route,
    WriteSummary,
    provenance_key,
    unique,
)
from .schema import Schema, missing_endpoints_error
from .store import Direction, GraphStore, Neighbour, Step

FORMAT = "techgraph-embedded"
FORMAT_VERSION = 1
SNAPSHOT = "graph.json"
JOURNAL = "journal.jsonl"
LOCK = "lock"
# Fold the journal into the snapshot once it is this much larger than the snapshot (and at
# least MIN_COMPACT_BYTES), which keeps the amortised cost of a write independent of graph size.
COMPACT_RATIO = 1.0
MIN_COMPACT_BYTES = 4 * 1024 * 1024
LOCK_TIMEOUT_S = 30.0
# Attribute under which a node's or relationship's decoded value is cached (never stored).
DECODED = "_decoded"

BatchDict = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class _ForgetPlan:
    kept_rels: dict[tuple[str, str, str], dict[str, Any]]
    """Relationships that carry the source's provenance -> the provenance that stays."""
    dropped: set[tuple[str, str, str]]
    """Those left with none, to delete."""
    kept_nodes: dict[str, dict[str, Any]]
    """Nodes that carry the source's provenance -> the provenance that stays."""
    nodes: set[str]
    """Nodes known only from the source and left without relationships, to delete."""


class EmbeddedStore(GraphStore):
    backend = "embedded"

    def __init__(self, data_dir: Path | str, schema: Schema | None = None) -> None:
        super().__init__(schema)
        self.data_dir = Path(data_dir).expanduser()
        self._snapshot = self.data_dir / SNAPSHOT
        self._journal = self.data_dir / JOURNAL
        self._prepare_dir()
        self._load()

    # -- opening and reading back --------------------------------------------------------------

    def _prepare_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot use {self.data_dir} as the data directory ({exc.strerror}); "
                "set TECHGRAPH_DATA_DIR or --data-dir to a directory you can write."
            ) from None
        if not self.data_dir.is_dir():
            raise ConfigError(
                f"{self.data_dir} is not a directory; set TECHGRAPH_DATA_DIR or --data-dir "
                "to a directory for the graph."
            )

    def _load(self) -> None:
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._seq = 0
        self._offset = 0
        self._snapshot_sig = _signature(self._snapshot)
        if self._snapshot.exists():
            data = self._read_snapshot()
            self._seq = int(data["seq"])
            self._apply(data)
        self._replay()

    def _read_snapshot(self) -> dict[str, Any]:
        try:
            with self._snapshot.open("rb") as fh:
                data = json.load(fh)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a techgraph snapshot")
            if data.get("version") != FORMAT_VERSION:
                raise ValueError(f"format version {data.get('version')} is not {FORMAT_VERSION}")
            return data
        except (ValueError, KeyError, OSError) as exc:
            raise StoreCorrupt(
                f"the store file {self._snapshot} cannot be read ({exc}); restore it from a "
                "backup, or move the data directory aside to start a new graph. Nothing was "
                "changed."
            ) from None

    def _replay(self) -> None:
        """Apply the complete, intact journal lines past the current offset."""
        if not self._journal.exists():
            return
        with self._journal.open("rb") as fh:
            fh.seek(self._offset)
            tail = fh.read()
        pos = 0
        while pos < len(tail):
            end = tail.find(b"\n", pos)
            if end < 0:
                return  # a line still being written, or torn by a crash: not committed
            line = tail[pos:end]
            batch = _decode_line(line)
            if batch is None:
                if tail.find(b"\n", end + 1) >= 0 or end + 1 < len(tail):
                    raise StoreCorrupt(
                        f"the journal {self._journal} is damaged at byte {self._offset + pos} "
                        "with intact entries after it; restore the data directory from a "
                        "backup. Nothing was changed."
                    )
                return  # the last line is damaged: a torn write, not committed
            if int(batch["seq"]) > self._seq:
                self._apply(batch)
                self._seq = int(batch["seq"])
            pos = end + 1
            self._offset += len(line) + 1

    def _refresh(self) -> None:
        """Pick up what other processes wrote since we last looked."""
        sig = _signature(self._snapshot)
        if sig != self._snapshot_sig:
            self._load()  # another process compacted the journal into a new snapshot
            return
        try:
            size = self._journal.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < self._offset:
            self._load()
        elif size > self._offset:
            self._replay()

    # -- applying facts (the same code for writes and replay) ----------------------------------

    def _apply(self, batch: Mapping[str, Any]) -> None:
        g = self._graph
        if batch.get("forget"):
            self._apply_forget(self._forget_plan(batch["forget"]))
        for node in batch.get("nodes", ()):
            attrs = g.nodes.get(node["id"])
            if attrs is None:
                g.add_node(
                    node["id"],
                    name=node["name"],
                    aliases=list(node.get("aliases", ())),
                    props=dict(node.get("props", {})),
                    prov={provenance_key(p): p for p in node.get("provenance", ())},
                )
            else:
                attrs.pop(DECODED, None)
                attrs["name"] = node["name"]
                attrs["aliases"] = unique([*attrs["aliases"], *node.get("aliases", ())])
                attrs["props"].update(node.get("props", {}))
                for p in node.get("provenance", ()):
                    attrs["prov"].setdefault(provenance_key(p), p)
        for rel in batch.get("relationships", ()):
            source, rtype, target = rel["source"], rel["type"], rel["target"]
            if g.has_edge(source, target, key=rtype):
                attrs = g.edges[source, target, rtype]
                attrs.pop(DECODED, None)
                attrs["props"].update(rel.get("props", {}))
                for p in rel.get("provenance", ()):
                    attrs["prov"].setdefault(provenance_key(p), p)
            else:
                g.add_edge(
                    source,
                    target,
                    key=rtype,
                    props=dict(rel.get("props", {})),
                    prov={provenance_key(p): p for p in rel.get("provenance", ())},
                )

    def _forget_plan(self, source: str) -> _ForgetPlan:
        """What forgetting one document's contribution changes (see GraphStore.write): the same
        rule as the forgetting in queries/forget_and_merge_nodes.cypher, computed without
        changing anything yet."""
        g = self._graph
        if source not in g:
            return _ForgetPlan({}, set(), {}, set())
        ids = [t for _, t, k in g.out_edges(source, keys=True) if k == "MENTIONS"] + [source]
        kept_rels: dict[tuple[str, str, str], dict[str, Any]] = {}
        for node_id in ids:
            for s, t, k, a in [
                *g.out_edges(node_id, keys=True, data=True),
                *g.in_edges(node_id, keys=True, data=True),
            ]:
                if any(p.get("source") == source for p in a["prov"].values()):
                    kept_rels[(s, t, k)] = {
                        key: p for key, p in a["prov"].items() if p.get("source") != source
                    }
        dropped = {key for key, prov in kept_rels.items() if not prov}
        kept_nodes: dict[str, dict[str, Any]] = {}
        nodes: set[str] = set()
        for node_id in ids:
            prov = g.nodes[node_id]["prov"]
            if not any(p.get("source") == source for p in prov.values()):
                continue
            kept = {key: p for key, p in prov.items() if p.get("source") != source}
            kept_nodes[node_id] = kept
            edges = {
                *((s, t, k) for s, t, k in g.out_edges(node_id, keys=True)),
                *((s, t, k) for s, t, k in g.in_edges(node_id, keys=True)),
            }
            if not kept and edges <= dropped:
                nodes.add(node_id)
        return _ForgetPlan(kept_rels, dropped, kept_nodes, nodes)

    def _apply_forget(self, plan: _ForgetPlan) -> None:
        g = self._graph
        for (s, t, k), prov in plan.kept_rels.items():
            if (s, t, k) in plan.dropped:
                g.remove_edge(s, t, key=k)
            else:
                g.edges[s, t, k]["prov"] = prov
                g.edges[s, t, k].pop(DECODED, None)
        for node_id, prov in plan.kept_nodes.items():
            if node_id in plan.nodes:
                g.remove_node(node_id)
            else:
                g.nodes[node_id]["prov"] = prov
                g.nodes[node_id].pop(DECODED, None)

    # -- writing -------------------------------------------------------------------------------

    def init(self) -> None:
        """Nothing to prepare: the directory was created on open."""

    def _write(self, batch: FactBatch, replace_source: str | None = None) -> WriteSummary:
        outside = self.schema.validate_batch(batch)
        payload: dict[str, Any] = dict(_encode_batch(batch))
        with self._lock():
            self._refresh()
            self._cut_torn_tail()
            gone: set[str] = set()
            if replace_source is not None:
                payload["forget"] = replace_source
                gone = self._forget_plan(replace_source).nodes
            missing = {i for i in outside if i not in self._graph or i in gone}
            if missing:
                raise missing_endpoints_error(missing)
            if replace_source is None and not self._changes(payload):
                # Loading the same facts again: nothing to record, the files stay as they are.
                return WriteSummary(nodes=len(batch.nodes), relationships=len(batch.relationships))
            payload["seq"] = self._seq + 1
            text = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            line = hashlib.sha256(text).hexdigest().encode() + b" " + text + b"\n"
            self._append(line)
            self._apply(payload)
            self._seq += 1
            self._offset += len(line)
            if self._should_compact():
                self._compact()
        return WriteSummary(nodes=len(batch.nodes), relationships=len(batch.relationships))

    def _changes(self, batch: Mapping[str, Any]) -> bool:
        """Whether applying the batch would change the graph at all."""
        g = self._graph
        for node in batch["nodes"]:
            a = g.nodes.get(node["id"])
            if (
                a is None
                or a["name"] != node["name"]
                or not set(node["aliases"]) <= set(a["aliases"])
                or any(a["props"].get(k) != v for k, v in node["props"].items())
                or any(provenance_key(p) not in a["prov"] for p in node["provenance"])
            ):
                return True
        for rel in batch["relationships"]:
            key = (rel["source"], rel["target"], rel["type"])
            if not g.has_edge(*key):
                return True
            a = g.edges[key]
            if any(a["props"].get(k) != v for k, v in rel["props"].items()) or any(
                provenance_key(p) not in a["prov"] for p in rel["provenance"]
            ):
                return True
        return False

    def _append(self, line: bytes) -> None:
        try:
            with self._journal.open("ab") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            # Cut back whatever part of the line reached the file, so it cannot count.
            with contextlib.suppress(OSError):
                os.truncate(self._journal, self._offset)
            raise ConfigError(
                f"cannot write to {self._journal} ({exc.strerror}); check the disk and the "
                "permissions of the data directory. The batch was not written."
            ) from None

    def _cut_torn_tail(self) -> None:
        """Under the lock nobody else appends, so bytes past our offset are a torn write."""
        if self._journal.exists() and self._journal.stat().st_size > self._offset:
            os.truncate(self._journal, self._offset)

    def _should_compact(self) -> bool:
        journal = self._offset
        snapshot = self._snapshot_sig[1] if self._snapshot_sig else 0
        return journal >= MIN_COMPACT_BYTES and journal > COMPACT_RATIO * snapshot

    def compact(self) -> None:
        """Fold the journal into a new snapshot now (`techgraph compact`)."""
        with self._lock():
            self._refresh()
            self._cut_torn_tail()
            self._compact()

    def _compact(self) -> None:
        data: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION, "seq": self._seq}
        data.update(self._dump())
        tmp = self._snapshot.with_suffix(".json.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            # json.dumps uses the C encoder; json.dump to a file would use the pure-Python one
            # (4x slower on a large graph), at the cost of one string of the snapshot's size.
            fh.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._snapshot)
        _fsync_dir(self.data_dir)
        # A crash here leaves journal lines the snapshot already holds: replay skips them by seq.
        if self._journal.exists():
            os.truncate(self._journal, 0)
        self._offset = 0
        self._snapshot_sig = _signature(self._snapshot)

    def _dump(self) -> BatchDict:
        g = self._graph
        nodes = [
            {
                "id": node_id,
                "name": a["name"],
                "aliases": a["aliases"],
                "props": a["props"],
                "provenance": list(a["prov"].values()),
            }
            for node_id, a in g.nodes(data=True)
        ]
        rels = [
            {
                "source": s,
                "type": k,
                "target": t,
                "props": a["props"],
                "provenance": list(a["prov"].values()),
            }
            for s, t, k, a in g.edges(keys=True, data=True)
        ]
        return {"nodes": nodes, "relationships": rels}

    def clear(self) -> None:
        with self._lock():
            self._graph = nx.MultiDiGraph()
            self._compact()

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        try:
            fd = os.open(self.data_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ConfigError(
                f"cannot write in the data directory {self.data_dir} ({exc.strerror}); set "
                "TECHGRAPH_DATA_DIR or --data-dir to a directory you can write."
            ) from None
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT_S
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() > deadline:
                        raise BackendUnavailable(
                            f"another techgraph process has been writing to {self.data_dir} for "
                            f"over {LOCK_TIMEOUT_S:.0f} s; wait for it to finish and try again."
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    # -- reading -------------------------------------------------------------------------------

    def get_node(self, node_id: str) -> Node | None:
        self._refresh()
        attrs = self._graph.nodes.get(node_id)
        return None if attrs is None else _node(node_id, attrs)

    def neighbours(
        self,
        node_id: str,
        rel_types: Sequence[str] | None = None,
        direction: Direction = Direction.BOTH,
    ) -> list[Neighbour]:
        self._check_rel_types(rel_types)
        self._refresh()
        g = self._graph
        if node_id not in g:
            return []
        wanted = set(rel_types) if rel_types else None
        found: list[Neighbour] = []
        if direction in (Direction.OUT, Direction.BOTH):
            for s, t, k, a in g.out_edges(node_id, keys=True, data=True):
                if wanted is None or k in wanted:
                    found.append(Neighbour(_rel(s, k, t, a), _node(t, g.nodes[t])))
        if direction in (Direction.IN, Direction.BOTH):
            for s, t, k, a in g.in_edges(node_id, keys=True, data=True):
                if wanted is None or k in wanted:
                    found.append(Neighbour(_rel(s, k, t, a), _node(s, g.nodes[s])))
        return found

    def get_nodes(self, node_ids: Sequence[str]) -> dict[str, Node]:
        self._refresh()
        g = self._graph
        return {i: _node(i, g.nodes[i]) for i in node_ids if i in g}

    def expand(self, node_ids: Sequence[str], steps: Sequence[Step]) -> list[tuple[str, Neighbour]]:
        self._check_rel_types([s.rel_type for s in steps])
        self._refresh()
        g = self._graph
        # networkx's own dicts ({node: {neighbour: {type: attributes}}}), read without its view
        # objects, in one pass over a node's relationships for all steps: a country hub has tens
        # of thousands of them, and the views cost a microsecond each.
        succ, pred, attrs = g._succ, g._pred, g._node
        outward, inward = _steps_by_type(steps, Direction.OUT), _steps_by_type(steps, Direction.IN)
        found: list[tuple[str, Neighbour]] = []
        for origin in dict.fromkeys(node_ids):
            if origin not in attrs:
                continue
            if outward:
                for t, by_type in succ[origin].items():
                    for k, a in by_type.items():
                        for step in outward.get(k, ()):
                            if step.to is None or step.to == t:
                                rel = _rel(origin, k, t, a)
                                found.append((origin, Neighbour(rel, _node(t, attrs[t]))))
            if inward:
                for s, by_type in pred[origin].items():
                    for k, a in by_type.items():
                        for step in inward.get(k, ()):
                            if s == origin and step.direction == Direction.BOTH:
                                continue  # a self-loop was already seen going out
                            if step.to is None or step.to == s:
                                rel = _rel(s, k, origin, a)
                                found.append((origin, Neighbour(rel, _node(s, attrs[s]))))
        return found

    def shortest_paths(
        self, source: str, target: str, rel_types: Sequence[str] | None, max_hops: int, k: int
    ) -> list[Route]:
        self._check_rel_types(rel_types)
        self._refresh()
        g = self._graph
        if source not in g or target not in g or source == target:
            return []
        wanted = set(rel_types) if rel_types else None
        # Breadth-first, level by level, remembering every edge that reaches a node first at
        # its level: those are exactly the edges of the shortest paths.
        level = {source: 0}
        parents: dict[str, list[tuple[str, str, str, str]]] = {}  # node -> (prev, s, k, t)
        frontier = [source]
        for depth in range(1, max_hops + 1):
            nxt: list[str] = []
            for node in frontier:
                for nbrs, outgoing in ((g.succ[node], True), (g.pred[node], False)):
                    for other, by_type in nbrs.items():
                        if other == node:
                            continue
                        for rtype in by_type:
                            if wanted is not None and rtype not in wanted:
                                continue
                            seen = level.get(other)
                            if seen is None:
                                level[other] = depth
                                nxt.append(other)
                                seen = depth
                            if seen == depth:
                                s_, t_ = (node, other) if outgoing else (other, node)
                                parents.setdefault(other, []).append((node, s_, rtype, t_))
            if target in level:
                break
            frontier = nxt
            if not frontier:
                break
        if target not in level:
            return []
        # Enumerate the paths back from the target, in a stable order, up to k.
        paths: list[list[tuple[str, str, str, str]]] = []

        def walk(node: str, suffix: list[tuple[str, str, str, str]]) -> None:
            if len(paths) >= k:
                return
            if node == source:
                paths.append(list(reversed(suffix)))
                return
            for entry in sorted(parents[node]):
                walk(entry[0], [*suffix, entry])

        walk(target, [])
        result: list[Route] = []
        for entries in paths:
            hops = []
            for prev, s_, rtype, t_ in entries:
                here = t_ if s_ == prev else s_
                rel = _rel(s_, rtype, t_, g.edges[s_, t_, rtype])
                hops.append(Hop(_node(prev, g.nodes[prev]), rel, _node(here, g.nodes[here])))
            result.append(tuple(hops))
        return result

    def relationships(self, rel_type: str) -> list[Relationship]:
        self.schema.relationship_type(rel_type)
        self._refresh()
        return [
            _rel(s, k, t, a)
            for s, t, k, a in self._graph.edges(keys=True, data=True)
            if k == rel_type
        ]

    def counts(self) -> Counts:
        self._refresh()
        nodes: Counter[str] = Counter()
        for node_id in self._graph:
            nodes[self.schema.node_type_of(node_id).name] += 1
        rels: Counter[str] = Counter(k for _, _, k in self._graph.edges(keys=True))
        return Counts(nodes=dict(nodes), relationships=dict(rels))

    def entity_names(self) -> list[tuple[str, str, tuple[str, ...]]]:
        self._refresh()
        return [
            (i, a["name"], (*a["aliases"], *a["props"].get("demonyms", ())))
            for i, a in self._graph.nodes(data=True)
            if not i.startswith("doc:")
        ]

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The live networkx graph, for the query layer's algorithms (read only)."""
        self._refresh()
        return self._graph


def _encode_batch(batch: FactBatch) -> BatchDict:
    return {
        "nodes": [
            {
                "id": n.id,
                "name": n.name,
                "aliases": unique(n.aliases),
                "props": dict(n.props),
                "provenance": [p.to_dict() for p in n.provenance],
            }
            for n in batch.nodes
        ],
        "relationships": [
            {
                "source": r.source,
                "type": r.type,
                "target": r.target,
                "props": dict(r.props),
                "provenance": [p.to_dict() for p in r.provenance],
            }
            for r in batch.relationships
        ],
    }


def _decode_line(line: bytes) -> dict[str, Any] | None:
    digest, _, text = line.partition(b" ")
    if hashlib.sha256(text).hexdigest().encode() != digest:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and "seq" in data else None


def _steps_by_type(steps: Sequence[Step], direction: Direction) -> dict[str, list[Step]]:
    """The steps that follow relationships in `direction` (or both ways), by type."""
    found: dict[str, list[Step]] = defaultdict(list)
    for step in steps:
        if step.direction in (direction, Direction.BOTH):
            found[step.rel_type].append(step)
    return found


def _node(node_id: str, a: dict[str, Any]) -> Node:
    """The node as a value, decoded once and kept in its attributes until it next changes
    (`_apply` drops it): questions read the same suppliers and countries many times."""
    cached: Node | None = a.get(DECODED)
    if cached is None:
        cached = a[DECODED] = Node(
            id=node_id,
            name=a["name"],
            aliases=tuple(a["aliases"]),
            props=dict(a["props"]),
            provenance=tuple(Provenance.from_dict(p) for p in a["prov"].values()),
        )
    return cached


def _rel(source: str, rtype: str, target: str, a: dict[str, Any]) -> Relationship:
    """The relationship as a value, cached like `_node`."""
    cached: Relationship | None = a.get(DECODED)
    if cached is None:
        cached = a[DECODED] = Relationship(
            source=source,
            type=rtype,
            target=target,
            props=dict(a["props"]),
            provenance=tuple(Provenance.from_dict(p) for p in a["prov"].values()),
        )
    return cached


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
