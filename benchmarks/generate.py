"""A synthetic supply-chain graph with a scale knob, deterministic for a seed.

The benchmark needs a graph shaped like the one techgraph is for, at sizes the shipped reference
data (about a thousand facts) cannot reach: at full scale (``scale=1.0``) 100,000 nodes and
500,000 relationships. The shape matters more than the names, because it decides what a query
touches:

- **Countries**: a fixed, realistic set of 60 ISO 3166-1 countries (CHN, USA, JPN, KOR, TWN, NLD,
  DEU, ... and the mining countries), with weights for where firms are headquartered (about 30 %
  in China), where they manufacture, and who mines raw materials.
- **Technologies** in a layered DAG: layer 0 holds raw materials, layer 6 platforms. REQUIRES
  points from a higher layer to a lower one (mostly the next one down) with a skewed choice of
  input, so a few inputs (a "silicon wafer") are needed by many technologies. About a fifth of
  the technologies are IS_TYPE_OF a broader technology of their layer.
- **Firms** with HEADQUARTERED_IN, SUBSIDIARY_OF chains up to three hops (a quarter of them
  cross-border, e.g. a Dutch firm whose parent is Chinese), PRODUCES edges to technologies of
  neighbouring layers with market shares that sum to at most 1 per technology (countries produce
  raw materials too, inside the same shares), MANUFACTURES_IN, and SUPPLIES firm to firm: a
  producer of an input sells to a producer of a technology that requires it.
- **Agencies** with AGENCY_OF and a few RESTRICTS_TRADE_WITH (entity and sanctions lists).

Relationships make up the difference to five per node with SUPPLIES, so the totals hit the target
exactly. Everything is drawn from one ``random.Random(seed)`` in a fixed order and never iterates a
set, so the same seed gives the same facts in the same order on every run (whatever
PYTHONHASHSEED is). Facts are kept as compact rows and only turned into ``FactBatch`` objects
chunk by chunk, each fact with one provenance record: source ``dataset:synthetic``, locator
``row N``, extractor ``bench-generator``.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TypeAlias

from techgraph.graph.model import FactBatch, Node, PropertyValue, Provenance, Relationship

FULL_NODES = 100_000
RELS_PER_NODE = 5
MIN_NODES = 200  # below this the fixed countries and agencies would be most of the graph
SOURCE = "dataset:synthetic"
EXTRACTOR = "bench-generator"
EXTRACTOR_VERSION = "1"
ORIGIN = "CHN"

# (ISO3, name, firm headquarters weight, manufacturing weight, raw-material weight, cities)
# Weights are rough shares of firms in electronics / telecom / semiconductor supply chains, not
# statistics: what matters is that China, the US, Japan, Korea, Taiwan and Europe dominate.
# fmt: off
COUNTRIES: tuple[tuple[str, str, float, float, float, str], ...] = (
    ("CHN", "China", 30.0, 33.0, 40.0,
     "Shenzhen|Shanghai|Suzhou|Hefei|Wuhan|Beijing|Chengdu|Xian|Dongguan|Hangzhou"),
    ("USA", "United States", 15.0, 6.0, 5.0,
     "San Jose|Austin|Boston|Phoenix|Portland|Santa Clara|Dallas"),
    ("JPN", "Japan", 8.5, 5.0, 1.0, "Tokyo|Osaka|Kyoto|Nagoya|Yokohama"),
    ("KOR", "South Korea", 5.0, 5.0, 0.5, "Seoul|Suwon|Icheon|Incheon"),
    ("TWN", "Taiwan", 5.5, 6.0, 0.2, "Hsinchu|Taipei|Taichung|Tainan"),
    ("DEU", "Germany", 5.0, 3.0, 0.5, "Munich|Dresden|Stuttgart|Berlin"),
    ("NLD", "Netherlands", 1.5, 0.8, 0.1, "Eindhoven|Veldhoven|Nijmegen|Delft"),
    ("GBR", "United Kingdom", 2.5, 1.0, 0.2, "Cambridge|Bristol|London"),
    ("FRA", "France", 2.0, 1.0, 0.3, "Grenoble|Paris|Toulouse"),
    ("ITA", "Italy", 1.2, 0.8, 0.1, "Milan|Turin|Catania"),
    ("ESP", "Spain", 0.6, 0.4, 0.3, "Madrid|Barcelona"),
    ("CHE", "Switzerland", 1.0, 0.4, 0.0, "Zurich|Geneva"),
    ("SWE", "Sweden", 0.8, 0.4, 0.5, "Stockholm|Lund"),
    ("FIN", "Finland", 0.4, 0.2, 0.4, "Espoo|Oulu"),
    ("BEL", "Belgium", 0.4, 0.3, 0.1, "Leuven|Brussels"),
    ("AUT", "Austria", 0.4, 0.3, 0.1, "Villach|Vienna"),
    ("IRL", "Ireland", 0.4, 0.4, 0.0, "Dublin|Cork"),
    ("POL", "Poland", 0.4, 1.0, 0.4, "Warsaw|Wroclaw"),
    ("CZE", "Czechia", 0.3, 0.8, 0.1, "Brno|Prague"),
    ("HUN", "Hungary", 0.2, 0.8, 0.1, "Budapest"),
    ("ISR", "Israel", 1.0, 0.4, 0.1, "Haifa|Tel Aviv"),
    ("IND", "India", 3.5, 4.0, 3.0, "Bengaluru|Pune|Chennai|Hyderabad"),
    ("SGP", "Singapore", 1.0, 2.0, 0.0, "Singapore"),
    ("MYS", "Malaysia", 1.0, 4.0, 1.0, "Penang|Kuala Lumpur"),
    ("VNM", "Viet Nam", 0.8, 5.0, 1.0, "Hanoi|Ho Chi Minh City"),
    ("THA", "Thailand", 0.5, 2.5, 0.5, "Bangkok"),
    ("PHL", "Philippines", 0.3, 1.5, 1.0, "Manila"),
    ("IDN", "Indonesia", 0.4, 1.2, 4.0, "Jakarta|Batam"),
    ("HKG", "Hong Kong", 1.5, 0.3, 0.0, "Hong Kong"),
    ("CAN", "Canada", 1.2, 0.6, 2.5, "Ottawa|Toronto|Vancouver"),
    ("MEX", "Mexico", 0.6, 3.5, 1.5, "Guadalajara|Monterrey|Tijuana"),
    ("BRA", "Brazil", 0.6, 0.8, 3.0, "Sao Paulo|Campinas"),
    ("AUS", "Australia", 0.8, 0.2, 6.0, "Perth|Sydney"),
    ("RUS", "Russia", 1.0, 0.4, 4.0, "Moscow|Zelenograd"),
    ("TUR", "Turkey", 0.4, 0.6, 0.5, "Istanbul|Ankara"),
    ("SAU", "Saudi Arabia", 0.2, 0.2, 0.8, "Riyadh"),
    ("ARE", "United Arab Emirates", 0.3, 0.2, 0.2, "Abu Dhabi|Dubai"),
    ("ZAF", "South Africa", 0.2, 0.2, 3.0, "Johannesburg"),
    ("CHL", "Chile", 0.1, 0.1, 4.0, "Santiago"),
    ("PER", "Peru", 0.1, 0.1, 2.0, "Lima"),
    ("COD", "Congo, The Democratic Republic of the", 0.05, 0.0, 4.0, "Kinshasa|Lubumbashi"),
    ("MMR", "Myanmar", 0.05, 0.1, 2.0, "Yangon"),
    ("KAZ", "Kazakhstan", 0.1, 0.1, 2.0, "Almaty"),
    ("GIN", "Guinea", 0.02, 0.0, 1.5, "Conakry"),
    ("ARG", "Argentina", 0.2, 0.2, 1.5, "Buenos Aires"),
    ("BOL", "Bolivia", 0.02, 0.0, 1.0, "La Paz"),
    ("ZMB", "Zambia", 0.02, 0.0, 1.5, "Lusaka"),
    ("ZWE", "Zimbabwe", 0.02, 0.0, 1.0, "Harare"),
    ("MAR", "Morocco", 0.1, 0.4, 1.0, "Casablanca"),
    ("NOR", "Norway", 0.3, 0.2, 0.8, "Oslo|Trondheim"),
    ("DNK", "Denmark", 0.3, 0.2, 0.0, "Copenhagen"),
    ("PRT", "Portugal", 0.2, 0.3, 0.3, "Lisbon|Porto"),
    ("ROU", "Romania", 0.1, 0.5, 0.2, "Bucharest"),
    ("UKR", "Ukraine", 0.2, 0.2, 0.8, "Kyiv|Odesa"),
    ("EGY", "Egypt", 0.1, 0.3, 0.3, "Cairo"),
    ("NGA", "Nigeria", 0.1, 0.1, 0.3, "Lagos"),
    ("PAK", "Pakistan", 0.2, 0.3, 0.2, "Karachi"),
    ("BGD", "Bangladesh", 0.1, 0.6, 0.0, "Dhaka"),
    ("IRN", "Iran", 0.2, 0.1, 0.5, "Tehran"),
    ("PRK", "North Korea", 0.0, 0.0, 0.1, "Pyongyang"),
)

# (id key, name, country): the government bodies that keep export-control and sanctions lists.
AGENCIES: tuple[tuple[str, str, str], ...] = (
    ("us-bis", "Bureau of Industry and Security", "USA"),
    ("us-ofac", "Office of Foreign Assets Control", "USA"),
    ("us-fcc", "Federal Communications Commission", "USA"),
    ("us-dod", "Department of Defense", "USA"),
    ("cn-mofcom", "Ministry of Commerce of the People's Republic of China", "CHN"),
    ("jp-meti", "Ministry of Economy, Trade and Industry", "JPN"),
    ("nl-cdiu", "Central Import and Export Office", "NLD"),
    ("de-bafa", "Federal Office for Economic Affairs and Export Control", "DEU"),
    ("uk-ecju", "Export Control Joint Unit", "GBR"),
    ("kr-motie", "Ministry of Trade, Industry and Energy", "KOR"),
    ("tw-moea", "Ministry of Economic Affairs", "TWN"),
    ("fr-sbdu", "Dual-Use Goods Department", "FRA"),
)
# Who lists whom: (agency, headquarters country of the firms it lists, weight).
LISTINGS: tuple[tuple[str, str, float], ...] = (
    ("us-bis", "CHN", 60.0), ("us-bis", "RUS", 10.0), ("us-bis", "IRN", 3.0),
    ("us-dod", "CHN", 8.0), ("us-fcc", "CHN", 3.0), ("us-ofac", "RUS", 8.0),
    ("us-ofac", "IRN", 3.0), ("cn-mofcom", "USA", 5.0), ("uk-ecju", "RUS", 3.0),
    ("jp-meti", "RUS", 2.0),
)
SANCTIONED_COUNTRIES: tuple[tuple[str, str], ...] = (
    ("us-ofac", "PRK"), ("us-ofac", "IRN"), ("us-ofac", "RUS"), ("us-bis", "PRK"),
    ("uk-ecju", "RUS"),
)

LAYER_NAMES = ("raw material", "processed material", "component", "module", "subsystem",
               "system", "platform")
LAYER_FRACTIONS = (0.05, 0.10, 0.17, 0.20, 0.20, 0.16, 0.12)
LAYER_NOUNS: tuple[tuple[str, ...], ...] = (
    ("gallium", "germanium", "cobalt", "lithium", "graphite", "neodymium", "tantalum", "indium",
     "polysilicon", "tungsten", "copper", "nickel", "fluorite", "quartz", "helium"),
    ("wafer", "photoresist", "high-purity gas", "sputtering target", "substrate", "laminate",
     "specialty glass", "cathode powder", "magnet alloy", "epitaxial layer"),
    ("capacitor", "resistor network", "power MOSFET", "RF filter", "laser diode", "image sensor",
     "memory die", "logic die", "connector", "inductor", "MEMS sensor", "optical lens"),
    ("RF front-end module", "camera module", "power module", "memory module", "antenna array",
     "optical transceiver", "battery cell", "display panel", "motor drive", "SoC package"),
    ("baseband unit", "radio unit", "battery pack", "inverter", "server board",
     "lithography optics", "flight controller", "sensor fusion unit", "storage array",
     "switch fabric"),
    ("base station", "EUV scanner", "data-centre server", "electric drivetrain", "satellite bus",
     "industrial robot", "medical imager", "network router", "drone", "smartphone"),
    ("5G network", "cloud platform", "EV platform", "semiconductor fab line",
     "satellite constellation", "smart grid", "AI training cluster", "autonomous vehicle stack"),
)
TECH_QUALIFIERS = ("advanced", "low-power", "high-voltage", "automotive-grade", "rad-hard",
                   "high-frequency", "precision", "compact", "next-generation", "industrial",
                   "high-density", "ultra-pure", "wide-bandgap", "modular", "rugged")
FIRM_CORES = ("Apex", "Bright", "Crest", "Delta", "Ever", "Fortune", "Golden", "Harbor", "Iris",
              "Jade", "Keystone", "Lumen", "Meridian", "Nova", "Orient", "Pioneer", "Quantum",
              "Radiant", "Summit", "Titan", "Unity", "Vertex", "Wave", "Zenith", "Sun", "Star",
              "Dragon", "Phoenix", "Silver", "Blue", "Red", "Great Wall", "Pacific", "Atlas")
FIRM_TRADES = ("Semiconductor", "Microelectronics", "Materials", "Photonics", "Electronics",
               "Precision", "Technologies", "Components", "Systems", "Devices", "Optics",
               "Energy", "Chemicals", "Mining", "Telecom", "Robotics", "Instruments")
FIRM_SUFFIXES = ("Co., Ltd.", "Inc.", "Corp.", "GmbH", "B.V.", "K.K.", "Ltd.", "S.A.", "AG",
                 "Holdings")
# fmt: on

NodeRow: TypeAlias = tuple[str, str, dict[str, PropertyValue]]
RelRow: TypeAlias = tuple[str, str, str, dict[str, PropertyValue]]


@dataclass(frozen=True)
class Sizes:
    """How many nodes of each kind, and the relationship total, a scale asks for."""

    nodes: int
    countries: int
    agencies: int
    technologies: int
    firms: int
    relationships: int


def parse_scale(text: str | float) -> int:
    """The node count a ``--scale`` means: a fraction of full size (0 < x <= 1) or a count.

    ``1`` / ``1.0`` is the full 100,000 nodes, ``0.1`` is 10,000, ``25000`` and ``25k`` are
    25,000. Small graphs are raised to MIN_NODES so every layer and kind of fact is present.
    """
    raw = str(text).strip().lower().replace("_", "")
    factor = 1
    if raw.endswith("k"):
        raw, factor = raw[:-1], 1000
    try:
        value = float(raw) * factor
    except ValueError:
        raise ValueError(
            f"--scale {text!r} is neither a fraction like 0.1 nor a node count"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"--scale {text!r} must be positive")
    nodes = round(value * FULL_NODES) if value <= 1 else round(value)
    return max(nodes, MIN_NODES)


def sizes_for(nodes: int) -> Sizes:
    """Split a node count into kinds: fixed countries and agencies, 12 % technologies, firms."""
    nodes = max(int(nodes), MIN_NODES)
    rest = nodes - len(COUNTRIES) - len(AGENCIES)
    technologies = max(round(rest * 0.12), 4 * len(LAYER_FRACTIONS))
    return Sizes(
        nodes=nodes,
        countries=len(COUNTRIES),
        agencies=len(AGENCIES),
        technologies=technologies,
        firms=rest - technologies,
        relationships=RELS_PER_NODE * nodes,
    )


class _Weighted:
    """Repeated weighted draws in O(log n): cumulative weights built once, bisect per draw."""

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        pairs = [(i, w) for i, w in zip(items, weights, strict=True) if w > 0]
        self.items = [i for i, _ in pairs]
        self.cum = list(accumulate(w for _, w in pairs))

    def draw(self, rng: random.Random) -> str:
        x = rng.random() * self.cum[-1]
        return self.items[min(bisect.bisect_right(self.cum, x), len(self.items) - 1)]


class SyntheticSupplyChain:
    """The generated graph as compact rows; ``batches`` turns them into FactBatch chunks."""

    def __init__(self, scale: str | float = 1.0, seed: int = 42) -> None:
        self.seed = seed
        self.sizes = sizes_for(parse_scale(scale))
        self.nodes: list[NodeRow] = []
        self.relationships: list[RelRow] = []
        self.technologies: list[str] = []
        self._keys: set[tuple[str, str, str]] = set()
        self._build(random.Random(seed))
        del self._keys  # only needed while drawing, to keep (source, type, target) unique

    # -- output --------------------------------------------------------------------------------

    def batches(
        self, nodes_per_batch: int = 20_000, rels_per_batch: int = 20_000
    ) -> Iterator[FactBatch]:
        """Every fact: node batches first, then relationship batches, so each batch's endpoints
        exist by the time it is written (a store refuses a batch that points at nothing)."""
        yield from self.node_batches(nodes_per_batch)
        yield from self.relationship_batches(rels_per_batch)

    def node_batches(self, size: int = 20_000) -> Iterator[FactBatch]:
        for start in range(0, len(self.nodes), size):
            rows = self.nodes[start : start + size]
            yield FactBatch(
                nodes=[
                    Node(id=i, name=name, props=props, provenance=(_provenance(start + n + 1),))
                    for n, (i, name, props) in enumerate(rows)
                ]
            )

    def relationship_batches(self, size: int = 20_000) -> Iterator[FactBatch]:
        for start in range(0, len(self.relationships), size):
            yield FactBatch(relationships=self.relationship_objects(start, start + size))

    def relationship_objects(self, start: int, stop: int) -> list[Relationship]:
        """Relationships ``start:stop`` of the generated order, with provenance rows numbered
        after the nodes (row N is the N-th fact overall, counting from 1)."""
        first_row = len(self.nodes) + start + 1
        return [
            Relationship(s, t, o, props=props, provenance=(_provenance(first_row + n),))
            for n, (s, t, o, props) in enumerate(self.relationships[start:stop])
        ]

    def relationship(self, index: int) -> Relationship:
        return self.relationship_objects(index, index + 1)[0]

    # -- drawing -------------------------------------------------------------------------------

    def _rel(self, source: str, rtype: str, target: str, props: dict[str, PropertyValue]) -> bool:
        key = (source, rtype, target)
        if source == target or key in self._keys:
            return False
        self._keys.add(key)
        self.relationships.append((source, rtype, target, props))
        return True

    def _build(self, rng: random.Random) -> None:
        sizes = self.sizes
        country_ids = [f"country:{c[0]}" for c in COUNTRIES]
        for cid, (_, name, *_rest) in zip(country_ids, COUNTRIES, strict=True):
            self.nodes.append((cid, name, {}))
        hq_pick = _Weighted(country_ids, [c[2] for c in COUNTRIES])
        plant_pick = _Weighted(country_ids, [c[3] for c in COUNTRIES])
        mine_pick = _Weighted(country_ids, [c[4] for c in COUNTRIES])
        cities = {f"country:{c[0]}": tuple(c[5].split("|")) for c in COUNTRIES}

        for key, name, country in AGENCIES:
            self.nodes.append((f"agency:{key}", name, {}))
            self._rel(f"agency:{key}", "AGENCY_OF", f"country:{country}", {})

        layers = self._technologies(rng, sizes.technologies)
        firms, hq = self._firms(rng, sizes.firms, hq_pick, cities)
        producers = self._produces(rng, layers, firms, mine_pick)
        self._manufactures(rng, firms, hq, plant_pick)
        self._restrictions(rng, firms, hq)
        self._supplies(rng, layers, firms, producers)

    def _technologies(self, rng: random.Random, count: int) -> list[list[str]]:
        """Layered DAG: REQUIRES from each layer to lower ones, IS_TYPE_OF within a layer."""
        sizes = [max(2, round(count * f)) for f in LAYER_FRACTIONS]
        sizes[3] += count - sum(sizes)  # rounding remainder into the widest layer
        layers: list[list[str]] = []
        popularity: list[_Weighted] = []
        serial = 0
        for layer, size in enumerate(sizes):
            ids = []
            for _ in range(size):
                serial += 1
                tid = f"tech:syn-{serial:06d}"
                noun = rng.choice(LAYER_NOUNS[layer])
                name = f"{rng.choice(TECH_QUALIFIERS)} {noun} {serial}"
                self.nodes.append((tid, name, {"layer": layer, "kind": LAYER_NAMES[layer]}))
                ids.append(tid)
            layers.append(ids)
            # Skewed demand for inputs: a few technologies are needed by many (log-normal).
            popularity.append(_Weighted(ids, [rng.lognormvariate(0.0, 1.0) for _ in ids]))
            self.technologies.extend(ids)
        for layer in range(1, len(layers)):
            for tid in layers[layer]:
                for _ in range(rng.choices((1, 2, 3, 4, 5), (15, 30, 30, 15, 10))[0]):
                    lower = (
                        layer - 1 if layer == 1 or rng.random() < 0.7 else rng.randrange(layer - 1)
                    )
                    self._rel(tid, "REQUIRES", popularity[lower].draw(rng), {})
            # A tenth of the layer are broad technologies; a fifth of the rest are kinds of one.
            ids = layers[layer]
            broad_count = max(1, len(ids) // 10)
            for tid in ids[broad_count:]:
                if rng.random() < 0.2:
                    self._rel(tid, "IS_TYPE_OF", ids[rng.randrange(broad_count)], {})
        return layers

    def _firms(
        self,
        rng: random.Random,
        count: int,
        hq_pick: _Weighted,
        cities: dict[str, tuple[str, ...]],
    ) -> tuple[list[str], dict[str, str]]:
        """Firms, their headquarters and ownership chains (SUBSIDIARY_OF, at most three hops
        from a firm to the top of its group)."""
        firms: list[str] = []
        hq: dict[str, str] = {}
        depth: dict[str, int] = {}
        top: dict[str, str] = {}
        groups = max(1, count // 8)  # the first eighth are group parents, owned by nobody
        for n in range(count):
            fid = f"firm:syn-{n + 1:06d}"
            parent = None
            if n >= groups and rng.random() < 0.34:
                pool = groups if rng.random() < 0.7 else n  # mostly groups; some chains
                parent = firms[rng.randrange(pool)]
                if depth[parent] >= 3:
                    parent = top[parent]
            if parent is not None and rng.random() < 0.75:
                country = hq[parent]
            else:
                country = hq_pick.draw(rng)  # cross-border subsidiary, or an independent firm
            name = (
                f"{rng.choice(cities[country])} {rng.choice(FIRM_CORES)} "
                f"{rng.choice(FIRM_TRADES)} {rng.choice(FIRM_SUFFIXES)}"
            )
            self.nodes.append((fid, name, {"founded": rng.randint(1950, 2022)}))
            firms.append(fid)
            hq[fid] = country
            self._rel(fid, "HEADQUARTERED_IN", country, {})
            if parent is None:
                depth[fid], top[fid] = 0, fid
            else:
                depth[fid], top[fid] = depth[parent] + 1, top[parent]
                stake = round(rng.uniform(0.51, 1.0), 2)
                self._rel(fid, "SUBSIDIARY_OF", parent, {"stake": stake})
        return firms, hq

    def _produces(
        self, rng: random.Random, layers: list[list[str]], firms: list[str], mine_pick: _Weighted
    ) -> dict[str, list[str]]:
        """PRODUCES with shares: every technology gets a producer, then each firm makes 1-3
        technologies of one or two adjacent layers; countries mine raw materials. Shares of one
        technology are drawn skewed and cut to a coverage below 1, so they sum to at most 1."""
        producers: dict[str, list[str]] = {t: [] for layer in layers for t in layer}
        demand = [_Weighted(ids, [rng.lognormvariate(0.0, 1.0) for _ in ids]) for ids in layers]
        for tid in producers:
            producers[tid].append(firms[rng.randrange(len(firms))])
        for fid in firms:
            home = rng.choices(range(len(layers)), [len(ids) for ids in layers])[0]
            for _ in range(rng.choices((1, 2, 3), (45, 35, 20))[0]):
                layer = min(len(layers) - 1, max(0, home + rng.choice((-1, 0, 0, 0, 1))))
                tid = demand[layer].draw(rng)
                if fid not in producers[tid][-3:]:  # cheap guard; _rel drops real duplicates
                    producers[tid].append(fid)
        for tid in layers[0]:
            for _ in range(rng.randint(1, 4)):
                producers[tid].append(mine_pick.draw(rng))
        for tid, makers in producers.items():
            makers[:] = list(dict.fromkeys(makers))
            coverage = rng.uniform(0.55, 0.95)
            weights = [rng.paretovariate(1.2) for _ in makers]
            total = sum(weights)
            for maker, w in zip(makers, weights, strict=True):
                share = max(1, math.floor(coverage * w / total * 10_000)) / 10_000
                self._rel(maker, "PRODUCES", tid, {"share": share, "year": 2023})
        return producers

    def _manufactures(
        self, rng: random.Random, firms: list[str], hq: dict[str, str], plant_pick: _Weighted
    ) -> None:
        """Plants: usually at home, and 0-2 abroad where electronics are assembled."""
        for fid in firms:
            if rng.random() < 0.8:
                self._rel(fid, "MANUFACTURES_IN", hq[fid], {})
            for _ in range(rng.choices((0, 1, 2), (50, 35, 15))[0]):
                self._rel(fid, "MANUFACTURES_IN", plant_pick.draw(rng), {})

    def _restrictions(self, rng: random.Random, firms: list[str], hq: dict[str, str]) -> None:
        """A few listings: about one firm in two hundred, mostly Chinese firms on US lists."""
        by_country: dict[str, list[str]] = {}
        for fid in firms:
            by_country.setdefault(hq[fid], []).append(fid)
        for agency, country in SANCTIONED_COUNTRIES:
            self._rel(f"agency:{agency}", "RESTRICTS_TRADE_WITH", f"country:{country}", {})
        pick = _Weighted([f"{a}|{c}" for a, c, _ in LISTINGS], [w for *_, w in LISTINGS])
        wanted = max(3, len(firms) // 200)
        for _ in range(wanted * 3):
            if wanted <= 0:
                break
            agency, country = pick.draw(rng).split("|")
            listed = by_country.get(f"country:{country}")
            if listed:
                year = rng.randint(2018, 2024)
                props: dict[str, PropertyValue] = {"list": "entity list", "year": year}
                if self._rel(f"agency:{agency}", "RESTRICTS_TRADE_WITH", rng.choice(listed), props):
                    wanted -= 1

    def _supplies(
        self,
        rng: random.Random,
        layers: list[list[str]],
        firms: list[str],
        producers: dict[str, list[str]],
    ) -> None:
        """SUPPLIES up to the relationship target: a maker of an input sells to a maker of a
        technology that requires it (or, at the top, to any firm, an operator)."""
        required_by: dict[str, list[str]] = {}
        for source, rtype, target, _ in self.relationships:
            if rtype == "REQUIRES":
                required_by.setdefault(target, []).append(source)
        inputs = [t for layer in layers for t in layer]
        firm_makers = {t: [m for m in ms if m.startswith("firm:")] for t, ms in producers.items()}
        missing = self.sizes.relationships - len(self.relationships)
        attempts = 0
        while missing > 0 and attempts < 20 * self.sizes.relationships:
            attempts += 1
            tid = inputs[rng.randrange(len(inputs))]
            makers = firm_makers[tid]
            if not makers:
                continue
            supplier = makers[rng.randrange(len(makers))]
            users = required_by.get(tid)
            customer = None
            if users:
                buyers = firm_makers[users[rng.randrange(len(users))]]
                if buyers:
                    customer = buyers[rng.randrange(len(buyers))]
            if customer is None:
                customer = firms[rng.randrange(len(firms))]
            if self._rel(supplier, "SUPPLIES", customer, {"technology": tid}):
                missing -= 1


def _provenance(row: int) -> Provenance:
    return Provenance(
        source=SOURCE,
        extractor=EXTRACTOR,
        extractor_version=EXTRACTOR_VERSION,
        locator=f"row {row}",
    )


def generate(
    scale: str | float = 1.0,
    seed: int = 42,
    nodes_per_batch: int = 20_000,
    rels_per_batch: int = 20_000,
) -> Iterator[FactBatch]:
    """The synthetic graph as FactBatch chunks: nodes first, then relationships."""
    yield from SyntheticSupplyChain(scale, seed).batches(nodes_per_batch, rels_per_batch)
