"""The embedded store survives crashes, refuses corrupt files and appends instead of rewriting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from techgraph.graph import embedded
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.errors import ConfigError, StoreCorrupt
from techgraph.graph.model import FactBatch, Node, Relationship


def firm_batch(i: int) -> FactBatch:
    return FactBatch(
        nodes=[Node(f"firm:f{i}", f"Firm {i}"), Node("country:CHN", "China")],
        relationships=[Relationship(f"firm:f{i}", "HEADQUARTERED_IN", "country:CHN")],
    )


def test_a_torn_last_line_is_ignored_and_cut_by_the_next_write(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    store.write(firm_batch(1))
    journal = tmp_path / embedded.JOURNAL
    intact = journal.read_bytes()
    with journal.open("ab") as fh:  # what a crash halfway through an append leaves
        fh.write(intact[: len(intact) // 2])
    reopened = EmbeddedStore(tmp_path)
    assert reopened.counts().nodes == {"Firm": 1, "Country": 1}
    reopened.write(firm_batch(2))
    assert EmbeddedStore(tmp_path).counts().nodes == {"Firm": 2, "Country": 1}


def test_a_damaged_line_followed_by_intact_ones_is_reported_not_skipped(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path)
    for i in range(3):
        store.write(firm_batch(i))
    journal = tmp_path / embedded.JOURNAL
    lines = journal.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"Firm 1", b"Firm X")
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(StoreCorrupt, match=r"damaged at byte .* restore"):
        EmbeddedStore(tmp_path)


def test_a_corrupt_snapshot_is_reported_and_left_alone(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    store.write(firm_batch(1))
    store.compact()
    snapshot = tmp_path / embedded.SNAPSHOT
    damaged = snapshot.read_bytes()[:-20]
    snapshot.write_bytes(damaged)
    with pytest.raises(StoreCorrupt, match=r"graph\.json cannot be read"):
        EmbeddedStore(tmp_path)
    assert snapshot.read_bytes() == damaged


def test_a_small_write_appends_to_the_journal_and_leaves_the_snapshot(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    store.write(FactBatch(nodes=[Node(f"firm:f{i}", f"Firm {i}") for i in range(3000)]))
    store.compact()
    snapshot = tmp_path / embedded.SNAPSHOT
    journal = tmp_path / embedded.JOURNAL
    before = (snapshot.stat().st_mtime_ns, snapshot.stat().st_size)
    store.write(firm_batch(99999))
    assert (snapshot.stat().st_mtime_ns, snapshot.stat().st_size) == before
    assert 0 < journal.stat().st_size < 1000  # one batch, not the whole graph


def test_reloading_unchanged_facts_writes_nothing_at_all(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    store.write(firm_batch(1))
    journal = tmp_path / embedded.JOURNAL
    size = journal.stat().st_size
    store.write(firm_batch(1))
    assert journal.stat().st_size == size


def test_compaction_keeps_everything_and_survives_reopen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "MIN_COMPACT_BYTES", 1)  # compact on nearly every write
    store = EmbeddedStore(tmp_path)
    for i in range(20):
        store.write(firm_batch(i))
    assert (tmp_path / embedded.SNAPSHOT).exists()
    reopened = EmbeddedStore(tmp_path)
    assert reopened.counts().nodes == {"Firm": 20, "Country": 1}
    assert reopened.counts().relationships == {"HEADQUARTERED_IN": 20}


def test_two_stores_on_one_directory_see_each_others_writes(tmp_path: Path) -> None:
    first, second = EmbeddedStore(tmp_path), EmbeddedStore(tmp_path)
    first.write(firm_batch(1))
    assert second.get_node("firm:f1") is not None
    second.write(firm_batch(2))
    second.compact()
    first.write(firm_batch(3))
    assert second.counts().nodes == {"Firm": 3, "Country": 1}
    assert EmbeddedStore(tmp_path).counts().nodes == {"Firm": 3, "Country": 1}


def test_a_process_killed_while_writing_leaves_a_readable_prefix(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        from techgraph.graph import embedded
        from techgraph.graph.embedded import EmbeddedStore
        from techgraph.graph.model import FactBatch, Node, Relationship
        embedded.MIN_COMPACT_BYTES = 200_000  # let compactions happen during the run too
        store = EmbeddedStore({str(tmp_path)!r})
        print("ready", flush=True)
        i = 0
        while True:
            nodes = [Node(f"firm:b{{i}}-{{j}}", "x" * 50) for j in range(50)]
            rels = [Relationship(n.id, "SUPPLIES", nodes[0].id) for n in nodes[1:]]
            store.write(FactBatch(nodes=nodes, relationships=rels))
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = EmbeddedStore(tmp_path)
    counts = store.counts()
    batches = counts.nodes["Firm"] // 50
    assert batches > 0
    # Whole batches only: every batch's 50 nodes and 49 relationships, or none of them.
    assert counts.nodes["Firm"] == batches * 50
    assert counts.relationships["SUPPLIES"] == batches * 49
    store.write(firm_batch(1))  # and the store takes writes again


def test_a_data_dir_that_is_a_file_is_a_clear_config_error(tmp_path: Path) -> None:
    occupied = tmp_path / "file"
    occupied.write_text("not a directory")
    with pytest.raises(ConfigError, match=r"is not a directory|cannot use"):
        EmbeddedStore(occupied)
    with pytest.raises(ConfigError, match="cannot use"):
        EmbeddedStore(occupied / "below")
