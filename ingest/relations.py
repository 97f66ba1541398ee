"""Relations between entity mentions of one sentence, in the schema's closed set.

A relation is read off a *cue*: a word or phrase of a known class ("invests in", "export controls
on", "headquartered in", "member of", ...), matched as spaCy Matcher patterns over lower-cased
tokens so that it works on the blank pipeline too. Around each cue:

- the *left side* is its grammatical subject when the sentence is parsed (nsubj, climbing through
  relative clauses, "plans to" complements and coordinated verbs), else the nearest entity to the
  left of the cue in the same clause; coordinated entities ("the US, Japan and the Netherlands")
  are all taken;
- the *right side* is the entities after the cue in the same clause, the first one and those
  coordinated with it, plus the ones introduced by the cue's own prepositions ("supplies base
  stations to Vodafone"), never one introduced by "in"/"from" unless the cue asks for it; with a
  parse, they must hang below the cue's verb.

Some facts are carried by noun phrases rather than verbs, and have rules of their own: descriptions
of firms ("Autel Robotics, another Chinese drone maker" gives HEADQUARTERED_IN and PRODUCES;
"Nikon of Japan", "Taiwan's TSMC"), member lists ("the Group of Seven (Canada, France, ...)"),
possessive ownership ("Huawei's chip-design unit HiSilicon") and the owners of lists ("on the US
Entity List").

Each cue lists the relationship types it can mean with a direction ("owned by" points right to
left); the first whose endpoint types the schema allows is taken, so "supplies 5G equipment"
(a technology) is PRODUCES and "supplies Vodafone" (a firm) is SUPPLIES. Negation ("does not",
"never", "has yet to") and hedges ("could", "may", "is considering", "plans to") between the
subject and the cue, or on the parse's verb, set the flags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from spacy.tokens import Doc, Token

from techgraph.graph.schema import Schema, load_schema

from .model import ExtractedRelation
from .nlp import Tokens

FWD = False  # the left side is the relation's source
REV = True  # the left side is the relation's target

# Confidence of a relation by how its left side was found; hedged ones get HEDGE_FACTOR of it.
CONF_PARSED = 0.8
CONF_WINDOW = 0.65
HEDGE_FACTOR = 0.5
# How far (in tokens) the first entity after a cue may be.
MAX_GAP = 12


@dataclass(frozen=True)
class Ent:
    """An entity mention as relations see it: a token range and a node."""

    start: int
    end: int
    id: str
    type: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence as the rules read it: its token range (`doc.sents`), where it starts in the
    text and its text without trailing whitespace (what a relation cites)."""

    start: int
    end: int
    start_char: int
    text: str


@dataclass(frozen=True)
class Cue:
    """A cue class: its phrases and the relation types it can mean, first that fits wins."""

    name: str
    phrases: tuple[str, ...]
    options: tuple[tuple[str, bool], ...]
    # prepositions that may introduce an entity of the right side besides the first group
    preps: tuple[str, ...] = ()
    # the right side is read between the cue and this phrase ("added X to the Entity List")
    until: tuple[str, ...] = ()
    symmetric_left: bool = False  # "X and Y agreed to cooperate": pairs within the left side
    # the right side is every fitting entity of the clause ("barred agencies from buying
    # equipment from Huawei, ZTE and Dahua"), not only the first group
    free: bool = False
    # a firm bought as a product maker ("bought Huawei equipment", "bought ... from Ericsson")
    # supplies the buyer; a firm bought outright is an investment ("bought 24% of SQM")
    products: bool = False


def _verb(*stems: str) -> str:
    """Inflected forms of regular English verbs, written as stem:s,ed,ing (or given in full)."""
    forms: list[str] = []
    for stem in stems:
        if ":" in stem:
            base, rest = stem.split(":", 1)
            forms.append(base)
            forms.extend(rest.split(","))
        else:
            forms.append(stem)
    return "|".join(forms)


SUPPLY = _verb(
    "supply:supplies,supplied,supplying",
    "sell:sells,sold,selling",
    "provide:provides,provided,providing",
    "ship:ships,shipped,shipping",
    "deliver:delivers,delivered,delivering",
    "furnish:furnishes,furnished",
)
EXPORTS_OF = " the? exports|export|sales|sale|shipments of"
PRODUCE = _verb(
    "produce:produces,produced,producing",
    "make:makes,made,making",
    "manufacture:manufactures,manufactured,manufacturing",
    "fabricate:fabricates,fabricated,fabricating",
    "build:builds,built,building",
    "design:designs,designed,designing",
    "develop:develops,developed,developing",
    "mine:mines,mined",
    "refine:refines,refined,refining",
    "process:processes,processed",
    "dominate:dominates,dominated,dominating",
    "lead:leads,led,leading",
)
NEG_WORDS = frozenset(
    {"not", "n't", "never", "neither", "nor", "cannot", "no", "without", "stopped", "ceased"}
)
NEG_PHRASES = (("yet", "to"), ("no", "longer"), ("declined", "to"), ("refused", "to"))
HEDGE_WORDS = frozenset(
    [
        "could",
        "may",
        "might",
        "would",
        "should",
        "considering",
        "consider",
        "considers",
        "considered",
        "plan",
        "plans",
        "planned",
        "planning",
        "intend",
        "intends",
        "intended",
        "intending",
        "propose",
        "proposes",
        "proposed",
        "proposing",
        "expected",
        "expects",
        "reportedly",
        "possibly",
        "potentially",
        "likely",
        "unlikely",
        "seek",
        "seeks",
        "seeking",
        "sought",
        "aim",
        "aims",
        "aiming",
        "hope",
        "hopes",
        "hoping",
        "weigh",
        "weighs",
        "weighing",
        "mulling",
        "explore",
        "explores",
        "exploring",
        "contemplating",
        "contemplate",
        "discussing",
        "negotiating",
        "talks",
        "proposal",
        "considered",
    ]
)

CUES: tuple[Cue, ...] = (
    Cue(
        "invest",
        (
            f"{_verb('invest:invests,invested,investing')} heavily|more|also|billions|directly? in",
            "investment|investments|stake|stakes|stakeholding|shareholding in",
            f"{_verb('fund:funds,funded,funding', 'finance:finances,financed,financing')}",
            f"{_verb('subsidise:subsidises,subsidised,subsidising')}",
            f"{_verb('subsidize:subsidizes,subsidized,subsidizing')}",
            "funding|financing|subsidies|grants|grant|money|capital for|to|into",
            _verb("award:awards,awarded,awarding", "commit:commits,committed,committing"),
            _verb("pledge:pledges,pledged,pledging", "allocate:allocates,allocated,allocating"),
            _verb("grant:grants,granted,granting"),
            f"{_verb('back:backs,backed')}",
            _verb("pour:pours,poured,pouring", "inject:injects,injected")
            + " billions|money|capital? into",
        ),
        (("INVESTS_IN", FWD),),
        preps=("to", "for", "in", "into"),
    ),
    Cue(
        "money",
        ("billion|million|crore|trillion|bn|m for|to|into",),
        (("INVESTS_IN", FWD),),
        preps=("for", "to", "into"),
    ),
    Cue(
        "funded-by",
        (
            "funded|backed|financed|subsidised|subsidized by",
            "investment|investments|funding|loan|loans|grant|grants|subsidy|subsidies|support|"
            "backing|money from",
        ),
        (("INVESTS_IN", REV),),
    ),
    Cue(
        "supply",
        (SUPPLY, "supplier|suppliers|vendor|vendors|provider|providers|seller|exporter of|to"),
        (("SUPPLIES", FWD), ("PRODUCES", FWD)),
        preps=("to", "for"),
    ),
    Cue(
        "supplied-by",
        ("supplied|provided|sold|shipped|delivered by",),
        (("SUPPLIES", REV),),
    ),
    Cue(
        "buy",
        (
            f"{_verb('buy:buys,bought,buying', 'purchase:purchases,purchased,purchasing')}",
            f"{_verb('source:sources,sourced,sourcing', 'import:imports,imported,importing')}",
            f"{_verb('procure:procures,procured,procuring')}",
            "customer|customers|client|clients|buyer|buyers of",
        ),
        (("SUPPLIES", REV), ("REQUIRES", FWD)),
        preps=("from",),
        products=True,
    ),
    Cue(
        "produce",
        (
            PRODUCE,
            "maker|makers|producer|producers|manufacturer|manufacturers|designer|fabricator of",
            "production|output|manufacture|manufacturing|fabrication|supply of",
            "share of",
        ),
        (("PRODUCES", FWD), ("MANUFACTURES_IN", FWD)),
    ),
    Cue(
        "produced-by",
        ("produced|made|manufactured|fabricated|designed|built|developed by",),
        (("PRODUCES", REV),),
    ),
    Cue(
        "manufacture-in",
        (
            "fab|fabs|plant|plants|factory|factories|facility|facilities|foundry|site|sites in",
            "production|manufacturing|operations|assembly in",
            "manufactures|produces|builds|assembles|operates chips|fabs|plants? in",
        ),
        (("MANUFACTURES_IN", FWD),),
    ),
    Cue(
        "require",
        (
            f"{_verb('require:requires,required,requiring', 'need:needs,needed,needing')}",
            f"{_verb('rely:relies,relied,relying')} heavily|entirely|largely? on|upon",
            f"{_verb('depend:depends,depended,depending')} heavily|entirely|largely? on|upon",
            "dependent|reliant|dependence|reliance|dependency|dependencies on|upon",
            f"{_verb('use:uses,used,using')}",
            "built|based on",
            "input|inputs|ingredient to|for|of",
        ),
        (("REQUIRES", FWD), ("SUPPLIES", REV)),
    ),
    Cue(
        "needed-for",
        (
            "needed|required|used|essential|necessary|critical|vital|indispensable for|in|by",
            "used|needed|required to make|produce|build|manufacture",
            "input|inputs|ingredient|ingredients to|for|in",
        ),
        (("REQUIRES", REV),),
    ),
    Cue(
        "headquartered",
        (
            "headquartered|headquarters|based|domiciled|registered|incorporated in",
            "- based",
            "home to",
        ),
        (("HEADQUARTERED_IN", FWD),),
    ),
    Cue(
        "subsidiary",
        (
            "subsidiary|subsidiaries|unit|division|arm|affiliate|affiliates of",
            "owned|controlled|acquired|bought by",
            "part of",
        ),
        (("SUBSIDIARY_OF", FWD), ("MEMBER_OF", FWD)),
    ),
    Cue(
        "owns",
        (
            _verb("own:owns,owned", "control:controls,controlled"),
            "parent of|to",
            "controlling|majority|largest shareholder|owner|stakeholder of|in",
        ),
        (("SUBSIDIARY_OF", REV), ("INVESTS_IN", FWD)),
    ),
    Cue(
        "acquire",
        (
            _verb("acquire:acquires,acquired,acquiring"),
            "took|takes|take|taking over",
            "takeover|acquisition|acquisitions|purchase|purchases|bid|bids|buyout|merger"
            " for|of|with",
            "hold|holds|held|owns|own|bought|buys|acquired|took|take # % of|in",
            "stake|stakes|shareholding|holding|interest in|of",
        ),
        (("INVESTS_IN", FWD),),
        preps=("in", "of", "for"),
    ),
    Cue(
        "export-control",
        (
            _verb("restrict:restricts,restricted,restricting") + EXPORTS_OF,
            _verb("control:controls,controlled,controlling") + EXPORTS_OF,
            _verb("ban:bans,banned,banning", "curb:curbs,curbed,curbing") + EXPORTS_OF,
            _verb("limit:limits,limited,limiting", "block:blocks,blocked,blocking") + EXPORTS_OF,
            _verb("halt:halts,halted,halting") + EXPORTS_OF,
            "export|exports controls|restrictions|curbs|bans|ban|licensing|licences|licenses|rules"
            " on|over|for",
            "controls|restrictions|curbs|limits on the? export|exports|sale|sales of",
            "controls|control|restrictions|curbs|limits|licensing on|over",
            "export? licence|license|licences|licenses|licensing|permit|permits requirement|"
            "requirements|requirement|controls|control|regime? for|on|to",
            "export|exports of",
        ),
        (("RESTRICTS_EXPORT_OF", FWD), ("RESTRICTS_TRADE_WITH", FWD)),
    ),
    Cue(
        "entity-list",
        (_verb("add:adds,added,adding", "place:places,placed,placing", "put:puts,putting"),),
        (("RESTRICTS_TRADE_WITH", FWD), ("RESTRICTS_EXPORT_OF", FWD)),
        free=True,
        until=(
            "entity list",
            "unverified list",
            "sdn list",
            "sanctions list",
            "blacklist",
            "military end-user list",
            "meu list",
            "unreliable entity list",
            "export control list",
            "control list",
        ),
    ),
    Cue(
        "restrict-trade",
        (
            _verb("sanction:sanctions,sanctioned,sanctioning", "blacklist:blacklists,blacklisted"),
            _verb("ban:bans,banned,banning", "bar:bars,barred,barring"),
            _verb("prohibit:prohibits,prohibited,prohibiting"),
            f"{_verb('restrict:restricts,restricted,restricting')} trade|business|dealings with",
            "sanctions|measures|ban|bans|embargo|embargoes on|against",
            f"{_verb('list:lists,listed')}",
            _verb("exclude:excludes,excluded,excluding", "remove:removes,removed,removing"),
            _verb("block:blocks,blocked,blocking", "order:orders,ordered,ordering"),
        ),
        (("RESTRICTS_TRADE_WITH", FWD),),
        free=True,
    ),
    Cue(
        "restricted-by",
        ("sanctioned|blacklisted|banned|listed|restricted|targeted by",),
        (("RESTRICTS_TRADE_WITH", REV),),
    ),
    Cue(
        "member",
        (
            "member|members|membership|founding|participant|participants|signatory|signatories"
            " of|in",
            f"{_verb('join:joins,joined,joining', 'accede:accedes,acceded')} to?",
            "belongs|belong|belonged to",
            f"{_verb('participate:participates,participated,participating')} in",
        ),
        (("MEMBER_OF", FWD),),
    ),
    Cue(
        "founded",
        (
            _verb("form:forms,formed,forming", "found:founds,founded,founding"),
            _verb("launch:launches,launched,launching", "create:creates,created,creating"),
            _verb("establish:establishes,established,establishing", "announce:announced"),
            "set|sets|setting up",
        ),
        (("MEMBER_OF", FWD),),
    ),
    Cue(
        "founded-by",
        ("formed|founded|launched|created|established|announced|set up|agreed|signed by",),
        (("MEMBER_OF", REV),),
    ),
    Cue(
        "groups",
        (
            "groups|grouped|comprises|comprised|includes|included|unites|gathers",
            "brings|brought together",
            "members|membership include|includes|included|are|comprise",
        ),
        (("MEMBER_OF", REV),),
    ),
    Cue(
        "designate",
        (_verb("designate:designates,designated,designating", "name:names,named"),),
        (("RESTRICTS_TRADE_WITH", FWD),),
        free=True,
        until=(
            "threat",
            "threats",
            "risk",
            "risks",
            "covered list",
            "military company",
            "military companies",
        ),
    ),
    Cue(
        "cooperate",
        (
            _verb("cooperate:cooperates,cooperated,cooperating") + " with",
            _verb("co-operate:co-operates,co-operated,co-operating") + " with",
            f"{_verb('collaborate:collaborates,collaborated,collaborating')} with",
            f"{_verb('partner:partners,partnered,partnering', 'ally:allies,allied')} with",
            "cooperation|co-operation|collaboration|partnership|partnerships|agreement|agreements"
            "|alliance|dialogue|pact|deal|venture with",
            f"{_verb('work:works,worked,working')} closely|together? with",
            "signed|sign|signs|concluded|reached an|a? agreement|agreements|pact|memorandum|deal"
            " with",
            "agreed|agree|agrees|agreeing with",
            _verb("coordinate:coordinates,coordinated,coordinating") + " with",
            # no partner named after the cue: the coordinated subjects cooperate with each other
            _verb("cooperate:cooperates,cooperated,cooperating", "collaborate:collaborates")
            + "|collaborated|collaborating|partner|partnered|partnering|agreed|coordinated",
            "joint venture|programme|program|project|statement|declaration|initiative",
        ),
        (("COOPERATES_WITH", FWD),),
        symmetric_left=True,
    ),
    Cue(
        "agency-of",
        ("agency|body|ministry|regulator|department of",),
        (("AGENCY_OF", FWD),),
    ),
)

# Tokens that end a clause for the window rules (never crossed looking for an entity).
_CLAUSE_END = frozenset(
    {
        ";",
        ":",
        "\u2014",
        "\u2013",
        "(",
        ")",
        "but",
        "while",
        "whereas",
        "although",
        "though",
        "because",
        "which",
        "who",
        "that",
        "whose",
        "where",
        "when",
    }
)
# Tokens that may sit between coordinated entities.
_COORD = frozenset(
    {
        ",",
        "and",
        "or",
        "&",
        "as",
        "well",
        "both",
        "either",
        "also",
        "the",
        "its",
        "their",
        "other",
        "such",
        "including",
        "like",
        "plus",
    }
)
# Prepositions that introduce places, origins and times, never an object of a cue.
_ADJUNCT_PREPS = frozenset(
    {
        "in",
        "from",
        "at",
        "since",
        "during",
        "within",
        "across",
        "by",
        "with",
        "after",
        "before",
        "under",
        "over",
        "through",
        "via",
        "against",
        "into",
        "among",
        "between",
        "of",
    }
)
_PREPS = _ADJUNCT_PREPS | {"to", "for", "on", "upon", "about", "toward", "towards", "onto"}
_SUBJ_DEPS = frozenset({"nsubj", "nsubjpass", "csubj"})


def _alternatives(part: str) -> tuple[list[str], bool]:
    optional = part.endswith("?")
    return part.rstrip("?").split("|"), optional


@cache
def _schema() -> Schema:
    return load_schema()


Part = tuple[frozenset[str], bool]  # the words one token may be ("#" = a number), optional?


@cache
def _cue_index() -> dict[str, list[tuple[int, tuple[Part, ...]]]]:
    """Cue phrases by the words they can start with. Matching is a dictionary look-up per token
    and a short walk from there: much faster than a Matcher with set predicates, and the same
    phrases work on the model's and the blank pipeline's tokens."""
    index: dict[str, list[tuple[int, tuple[Part, ...]]]] = {}
    for number, cue in enumerate(CUES):
        for phrase in cue.phrases:
            parts = tuple(
                (frozenset(words), optional)
                for words, optional in (_alternatives(p) for p in phrase.split())
            )
            # a phrase may start at any of its leading optional parts or the first required one
            for k, (words, optional) in enumerate(parts):
                for word in words:
                    index.setdefault(word, []).append((number, parts[k:]))
                if not optional:
                    break
    return index


def _match_parts(toks: Tokens, i: int, parts: tuple[Part, ...], limit: int) -> set[int]:
    """Every end position where `parts` match from token i (optional parts may be skipped)."""
    if not parts:
        return {i}
    (words, optional), rest = parts[0], parts[1:]
    ends: set[int] = set()
    if optional:
        ends |= _match_parts(toks, i, rest, limit)
    if i < limit and (toks.lower[i] in words or ("#" in words and toks.lex[i].like_num)):
        ends |= _match_parts(toks, i + 1, rest, limit)
    return ends


def allowed(schema: Schema, rel_type: str, source_type: str, target_type: str) -> bool:
    """Whether the schema lets `rel_type` join these node types."""
    spec = schema.relationship_types.get(rel_type)
    return spec is not None and source_type in spec.sources and target_type in spec.targets


def extract_relations(
    doc: Doc, ents: Sequence[Ent], *, parsed: bool, tokens: Tokens | None = None
) -> list[ExtractedRelation]:
    """Every relation the cues of each sentence support, checked against the schema.

    tokens: the Doc's `Tokens`, if the caller has made them already (they are made otherwise).
    """
    if not ents:
        return []
    toks = tokens if tokens is not None else Tokens(doc)
    low = toks.lower
    schema = _schema()
    matches = _cue_matches(toks)
    out: list[ExtractedRelation] = []
    seen: set[tuple[int, str, str, str]] = set()
    for sent in _sentences(toks):
        in_sent = [e for e in ents if e.start >= sent.start and e.end <= sent.end]
        if len(in_sent) < 2:
            continue
        cues = [m for m in matches if m[1] >= sent.start and m[2] <= sent.end]
        found: list[ExtractedRelation] = []
        for cue, start, end in cues:
            if any(e.start <= start < e.end or e.start < end <= e.end for e in in_sent):
                continue  # the cue words are part of a name ("Export Control Joint Unit")
            if (
                start > sent.start
                and low[start - 1] in _POSS_PRONOUNS
                and low[start] in ("own", "control")
            ):
                continue  # "designs its own processors"
            if cue.name in ("buy", "supply") and start > sent.start and low[start - 1] == "from":
                continue  # "barred agencies from buying ...": what is forbidden, not done
            found.extend(_read(toks, sent, cue, start, end, in_sent, parsed, schema))
        found.extend(_special(toks, sent, in_sent, parsed, schema))
        found.extend(_descriptive(toks, sent, in_sent, parsed, schema))
        found.extend(_memberships(toks, sent, in_sent, parsed, schema))
        for rel in found:
            a, b = rel.source, rel.target
            if rel.type == "COOPERATES_WITH":
                a, b = sorted((a, b))
            key = (sent.start, a, rel.type, b)
            if key not in seen:
                seen.add(key)
                out.append(rel)
    return out


def _sentences(toks: Tokens) -> Iterator[Sentence]:
    """`doc.sents`, read from the sentence starts of Tokens (as Doc.sents reads them) without
    making a Span each."""
    doc = toks.doc
    if "sents" in doc.user_hooks or not doc.has_annotation("SENT_START"):
        bounds = [(s.start, s.end) for s in doc.sents]  # a hook's sentences, or spaCy's error
    else:
        starts = [0, *(i for i, start in enumerate(toks.sent_start) if start and i), len(toks)]
        bounds = list(pairwise(starts)) if len(toks) else []
    for start, end in bounds:
        yield Sentence(start, end, toks.idx[start], toks.span_text(start, end).rstrip())


_POSS_PRONOUNS = frozenset({"its", "their", "his", "her", "our", "my", "your"})
_LIST_CUE = Cue("on-list", (), (("RESTRICTS_TRADE_WITH", REV),))  # the firm on it is the left side


def _cue_matches(toks: Tokens) -> list[tuple[Cue, int, int]]:
    """Cue matches, longest first where they overlap (so "export controls on" beats "controls")."""
    index = _cue_index()
    raw: list[tuple[int, int, int]] = []  # (cue number, start, end)
    seen: set[tuple[int, int, int]] = set()
    n = len(toks)
    low, lex = toks.lower, toks.lex
    # Only positions where a phrase can start are visited: a word of the index, or a number
    # if a phrase can start with one ("#").
    if "#" in index:
        starts = [i for i, word in enumerate(low) if word in index or lex[i].like_num]
    else:
        starts = [i for i, word in enumerate(low) if word in index]
    for i in starts:
        key = "#" if low[i] not in index and lex[i].like_num else low[i]
        for number, parts in index[key]:
            for end in _match_parts(toks, i, parts, n):
                if end > i and (number, i, end) not in seen:
                    seen.add((number, i, end))
                    raw.append((number, i, end))
    raw.sort(key=lambda m: (-(m[2] - m[1]), m[1], m[0]))
    taken: set[int] = set()
    kept: list[tuple[Cue, int, int]] = []
    for number, s, e in raw:
        if taken.isdisjoint(range(s, e)):
            kept.append((CUES[number], s, e))
            taken.update(range(s, e))
    return sorted(kept, key=lambda m: m[1])


def _read(
    toks: Tokens,
    sent: Sentence,
    cue: Cue,
    start: int,
    end: int,
    ents: Sequence[Ent],
    parsed: bool,
    schema: Schema,
) -> Iterable[ExtractedRelation]:
    anchor = _anchor(toks, start, end)
    left, by_parse = _left(toks, sent, cue, start, anchor, ents, parsed)
    if not left:
        return  # no pair can be made (the rest only reads the other side and the flags)
    right = _right(toks, sent, cue, start, end, anchor, ents, parsed)
    if not right and not (cue.symmetric_left and len(left) > 1):
        return  # likewise: no pair, not even within the left side
    negated = _negated(toks, sent, left, start, end, anchor, parsed)
    hedged = _hedged(toks, sent, left, start, anchor, parsed)
    confidence = CONF_PARSED if by_parse else CONF_WINDOW
    if hedged:
        confidence *= HEDGE_FACTOR
    pairs: list[tuple[Ent, Ent]] = [(a, b) for a in left for b in right]
    partners = [b for b in right if any(_fits(schema, cue, a, b) for a in left)]
    if cue.symmetric_left and not partners and len(left) > 1:
        pairs = [(a, b) for i, a in enumerate(left) for b in left[i + 1 :]]
    if cue.products:
        as_product = any(_as_product(toks, b, end) for b in right)
        bought = [(a, b) for a, b in pairs if b.type == "Firm" and not as_product]
        pairs = [p for p in pairs if p not in bought]
        yield from _emit(schema, sent, (("INVESTS_IN", FWD),), bought, confidence, negated, hedged)
    yield from _emit(schema, sent, cue.options, pairs, confidence, negated, hedged)


PRODUCT_NOUNS = frozenset(
    [
        "equipment",
        "gear",
        "products",
        "product",
        "components",
        "component",
        "parts",
        "chips",
        "phones",
        "handsets",
        "radios",
        "software",
        "systems",
        "tools",
        "machines",
        "devices",
        "cameras",
        "drones",
        "batteries",
        "kit",
        "hardware",
        "services",
        "models",
        "units",
    ]
)


def _as_product(toks: Tokens, e: Ent, boundary: int) -> bool:
    """Whether a firm after a buying verb is named as the maker of what is bought ("Huawei
    equipment", "gear from Ericsson") rather than as what is bought."""
    low, lex = toks.lower, toks.lex
    if e.end < len(low) and low[e.end] in PRODUCT_NOUNS:
        return True
    k = e.end
    while k < len(low) and k - e.end < 3 and lex[k].is_alpha and lex[k].is_lower:
        if low[k] in PRODUCT_NOUNS:
            return True
        k += 1
    return _preposition_before(toks, boundary, e) == "from"


def _emit(
    schema: Schema,
    sent: Sentence,
    options: Sequence[tuple[str, bool]],
    pairs: Iterable[tuple[Ent, Ent]],
    confidence: float,
    negated: bool,
    hedged: bool,
) -> Iterator[ExtractedRelation]:
    """One relation per pair: the first reading the schema allows between their types."""
    text = sent.text
    for a, b in pairs:
        if a.id == b.id:
            continue
        for rel_type, reverse in options:
            src, dst = (b, a) if reverse else (a, b)
            if allowed(schema, rel_type, src.type, dst.type):
                yield ExtractedRelation(
                    source=src.id,
                    type=rel_type,
                    target=dst.id,
                    confidence=round(confidence, 3),
                    sentence=text,
                    start=sent.start_char,
                    end=sent.start_char + len(text),
                    negated=negated,
                    hedged=hedged,
                )
                break


# Nouns that make "Huawei's chip-design unit HiSilicon" a statement of ownership.
_SUBSIDIARY_NOUNS = frozenset(
    {"subsidiary", "subsidiaries", "unit", "units", "arm", "division", "affiliate", "affiliates"}
)
_POSSESSIVE = frozenset({"'s", "\u2019s", "'"})
_LISTS = (
    ("entity", "list"),
    ("unverified", "list"),
    ("sdn", "list"),
    ("sanctions", "list"),
    ("blacklist",),
)
_LIST_FIRST_WORDS = frozenset(phrase[0] for phrase in _LISTS)


def _special(
    toks: Tokens, sent: Sentence, ents: Sequence[Ent], parsed: bool, schema: Schema
) -> Iterator[ExtractedRelation]:
    """Statements carried by a noun phrase rather than a cue verb."""
    low = toks.lower
    for i, a in enumerate(ents):
        # "Huawei's chip-design unit HiSilicon" -> HiSilicon SUBSIDIARY_OF Huawei
        if a.type == "Firm" and a.end < sent.end and low[a.end] in _POSSESSIVE:
            nxt = next((e for e in ents[i + 1 :] if e.type != "Technology"), None)
            if nxt is not None and nxt.type == "Firm" and 2 <= nxt.start - a.end <= 6:
                between = range(a.end + 1, nxt.start)
                if any(low[k] in _SUBSIDIARY_NOUNS for k in between) and not any(
                    toks.lex[k].is_punct and toks.text[k] not in ("-", ",") for k in between
                ):
                    yield from _emit(
                        schema,
                        sent,
                        (("SUBSIDIARY_OF", FWD),),
                        [(nxt, a)],
                        CONF_WINDOW,
                        False,
                        False,
                    )
    # "SMIC has been on the US Entity List" -> USA RESTRICTS_TRADE_WITH SMIC
    words = low[sent.start : sent.end]
    for k in range(len(words)):
        if words[k] not in _LIST_FIRST_WORDS:
            continue  # no phrase of _LISTS starts here
        for phrase in _LISTS:
            if tuple(words[k : k + len(phrase)]) != phrase:
                continue
            at = sent.start + k
            j = at - 1
            if j >= sent.start and low[j] in _POSSESSIVE:
                j -= 1
            owner = _ent_at(ents, j) if j >= sent.start else None
            if owner is None or owner.type not in ("Country", "Agency", "Alliance"):
                continue
            intro = owner.start - 1
            while intro > sent.start and low[intro] in ("the", "its", "a"):
                intro -= 1
            anchor = at + len(phrase) - 1
            left, by_parse = _left(toks, sent, _LIST_CUE, intro, anchor, ents, parsed)
            left = [e for e in left if e != owner]
            negated = _negated(toks, sent, left, intro, at, anchor, parsed)
            hedged = _hedged(toks, sent, left, intro, anchor, parsed)
            confidence = (CONF_PARSED if by_parse else CONF_WINDOW) * (
                HEDGE_FACTOR if hedged else 1.0
            )
            yield from _emit(
                schema,
                sent,
                (("RESTRICTS_TRADE_WITH", FWD),),
                [(owner, e) for e in left],
                confidence,
                negated,
                hedged,
            )


def _fits(schema: Schema, cue: Cue, a: Ent, b: Ent) -> bool:
    """Whether some reading of the cue joins a (left side) and b (right side)."""
    for rel_type, reverse in cue.options:
        src, dst = (b, a) if reverse else (a, b)
        if allowed(schema, rel_type, src.type, dst.type):
            return True
    return False


def _anchor(toks: Tokens, start: int, end: int) -> int:
    """The position of the cue's main word: its first verb or noun (the word the parse hangs
    things on)."""
    for i in range(start, end):
        if toks.pos[i] in ("VERB", "NOUN", "AUX", "ADJ", "PROPN"):
            return i
    return start


def _ent_at(ents: Sequence[Ent], i: int) -> Ent | None:
    for e in ents:
        if e.start <= i < e.end:
            return e
    return None


# -- the left side -------------------------------------------------------------------------------


def _left(
    toks: Tokens,
    sent: Sentence,
    cue: Cue,
    start: int,
    anchor: int,
    ents: Sequence[Ent],
    parsed: bool,
) -> tuple[list[Ent], bool]:
    """The left side, and whether the parse gave it. When the parse finds a subject that is no
    entity ("operators must stop buying Huawei equipment"), there is no left side: guessing the
    nearest entity instead would make up a fact."""
    if parsed:
        found, has_subject = _subject_by_parse(toks.doc[anchor], ents)
        if found or has_subject:
            return found, True
    schema = _schema()
    return _left_window(toks, sent, start, ents, lambda e: _can_lead(schema, cue, e)), False


def _can_lead(schema: Schema, cue: Cue, e: Ent) -> bool:
    """Whether the entity can be the left side of some reading of the cue."""
    for rel_type, reverse in cue.options:
        spec = schema.relationship_types.get(rel_type)
        if spec is not None and e.type in (spec.targets if reverse else spec.sources):
            return True
    return False


_MONEY = frozenset({"billion", "million", "crore", "trillion", "bn", "m"})
_CLIMB_DEPS = frozenset(
    {
        "xcomp",
        "ccomp",
        "conj",
        "advcl",
        "prep",
        "pobj",
        "dobj",
        "attr",
        "acomp",
        "amod",
        "compound",
        "pcomp",
        "npadvmod",
        "oprd",
    }
)
# Heads whose demonym or country modifier stands for the country itself ("the Dutch government").
GOVERNMENT_HEADS = frozenset(
    [
        "government",
        "governments",
        "authorities",
        "authority",
        "officials",
        "administration",
        "administrations",
        "state",
        "states",
        "regulator",
        "regulators",
        "ministers",
        "ministry",
        "lawmakers",
        "parliament",
        "legislature",
        "cabinet",
        # the instruments a government acts through: "a 2018 US law", "a BIS rule"
        "rule",
        "rules",
        "law",
        "laws",
        "regulation",
        "regulations",
        "order",
        "act",
        "strategy",
        "mission",
        "plan",
        "programme",
        "program",
        "initiative",
        "scheme",
    ]
)


def _subject_by_parse(anchor: Token, ents: Sequence[Ent]) -> tuple[list[Ent], bool]:
    """The entities of the cue's grammatical subject, climbing to the verb that has one; and
    whether a subject was found at all."""
    # "Intel's bid for ASML", "China's exports of gallium": the possessor of a noun cue
    owners = [c for c in anchor.children if c.dep_ == "poss"] if anchor.pos_ == "NOUN" else []
    owned = [e for o in owners if (e := _ent_at(ents, o.i)) is not None]
    if owned:
        return _unique(owned), True
    tok: Token | None = anchor
    for _ in range(8):
        if tok is None:
            break
        subjects = [c for c in tok.children if c.dep_ in _SUBJ_DEPS]
        pronouns = bool(subjects) and all(_pronoun(c) for c in subjects)
        if pronouns and tok.dep_ not in ("ccomp", "xcomp", "advcl", "conj"):
            return [], False  # "both are headquartered in ...": read the window instead
        if pronouns:
            # "Australia said it would remove ...": "it" is the subject of the saying
            tok = tok.head
            continue
        if subjects:
            found: list[Ent] = []
            for subj in subjects:
                if subj.tag_ in ("WDT", "WP") and tok.dep_ == "relcl":
                    subj = tok.head  # "ASML, which is headquartered in": the antecedent
                found.extend(_ents_of(subj, ents))
            return _unique(found), True
        if tok.dep_ == "xcomp" or (tok.dep_ == "prep" and tok.lower_ == "as"):
            # "picked Nokia to supply", "chose Samsung as the main supplier": the object of the
            # governing verb is who supplies
            objects = [c for c in tok.head.children if c.dep_ == "dobj"]
            if objects:
                return _unique(_ents_of(objects[0], ents)), True
        if tok.dep_ == "appos" and tok.lower_ in _MONEY:
            tok = tok.head  # "$7.86 billion for Intel, $6.6 billion for TSMC Arizona": a list
            continue
        if tok.dep_ in ("relcl", "acl", "appos"):
            # "Huawei, which still makes ...", "Tokyo Electron, Japan's largest maker of ..."
            return _unique(_ents_of(tok.head, ents)), True
        if tok.dep_ in _CLIMB_DEPS and tok.head is not tok:
            tok = tok.head
            continue
        break
    return [], False


def _pronoun(tok: Token) -> bool:
    return tok.tag_ == "PRP" or tok.lower_ in ("both", "each", "all", "they", "it")


def _ents_of(tok: Token, ents: Sequence[Ent]) -> list[Ent]:
    """The entities a noun phrase stands for: the one at its head word and its conjuncts; for
    "firms such as Huawei and ZTE" the examples; for "the Dutch government" the country. Not an
    entity that merely describes the head ("the large American carriers")."""
    heads = [tok, *tok.conjuncts]
    found = [e for h in heads if (e := _ent_at(ents, h.i)) is not None]
    if found:
        return _coordinated_with(tok.doc, ents, found)
    if tok.dep_ == "appos" and tok.head is not tok:
        # "Ericsson and Nokia, the two European vendors that ...": the vendors are the firms
        return _ents_of(tok.head, ents)
    out: list[Ent] = []
    for head in heads:
        for e in ents:
            root = tok.doc[e.start : e.end].root
            if root.head == head and root.dep_ in ("amod", "compound", "poss", "nmod", "nummod"):
                # "the Dutch government" is the country; "5G networks" the technology
                if (
                    head.lower_ in GOVERNMENT_HEADS
                    or (e.type == "Technology" and head.pos_ == "NOUN")
                    or (e.type == "Country" and head.lower_ in COLLECTIVE_HEADS)
                ):
                    out.append(e)
                continue
            if _via_example(root, head):
                out.append(e)
            elif (
                e.type == "Country"
                and head.lower_ in COLLECTIVE_HEADS
                and root.dep_ == "pobj"
                and root.head.lower_ == "in"
                and root.head.head == head
            ):
                out.append(e)  # "small rural carriers in the United States"
    if any(e.type == "Firm" for e in out):
        out = [e for e in out if e.type != "Country"]  # "Japanese firms such as JSR": the firms
    return _coordinated_with(tok.doc, ents, out) if out else out


# Plural nouns for a country's firms taken together: "Chinese refiners process two-thirds of
# the world's lithium" is a statement about China.
COLLECTIVE_HEADS = frozenset(
    [
        "firms",
        "companies",
        "suppliers",
        "producers",
        "manufacturers",
        "makers",
        "refiners",
        "chipmakers",
        "exporters",
        "vendors",
        "developers",
        "carriers",
        "operators",
        "industry",
        "industries",
    ]
)


def _coordinated_with(doc: Doc, ents: Sequence[Ent], found: list[Ent]) -> list[Ent]:
    """The entities found plus those of the same type coordinated with them in the text ("Canada,
    France, Italy, Spain and the Netherlands"), where the parse split the list."""
    out = list(found)
    for e in found:
        for direction in (-1, 1):
            current = e
            while True:
                if direction > 0:
                    nxt = next((x for x in ents if x.start >= current.end), None)
                    between = doc[current.end : nxt.start] if nxt else None
                else:
                    nxt = next((x for x in reversed(ents) if x.end <= current.start), None)
                    between = doc[nxt.end : current.start] if nxt else None
                if (
                    nxt is None
                    or between is None
                    or nxt.type != e.type
                    or len(between) == 0
                    or not all(t.text in (",", "and", "or") or t.lower_ == "the" for t in between)
                ):
                    break
                out.append(nxt)
                current = nxt
    return _unique(out)


def _via_example(root: Token, head: Token) -> bool:
    """Whether `root` hangs below `head` as an example or an apposition ("firms such as X",
    "suppliers including X", "the carrier, X")."""
    tok = root
    for _ in range(4):
        if tok.dep_ == "appos" and tok.head == head:
            return True
        if tok.dep_ in ("pobj", "conj") and tok.head is not tok:
            tok = tok.head
            continue
        if tok.dep_ == "prep" and tok.lower_ in ("as", "including", "like") and tok.head is not tok:
            return tok.head == head or tok.head.head == head
        break
    return False


def _left_window(
    toks: Tokens,
    sent: Sentence,
    start: int,
    ents: Sequence[Ent],
    fits: Callable[[Ent], bool] = lambda e: True,
) -> list[Ent]:
    """The nearest entity of a fitting type before the cue in the same clause, with those
    coordinated with it."""
    skipped = _parentheticals(toks, sent, start)
    before = [
        e
        for e in ents
        if e.end <= start
        and not any(a <= e.start < b for a, b in skipped)
        and fits(e)
        and not (e.type == "Country" and _describes_one_firm(toks, e))
    ]
    if not before:
        return []
    nearest = before[-1]
    # Cross nothing that ends a clause (a relative pronoun after the entity is fine: "ASML,
    # which is based in").
    if any(t in (";", ":") for t in toks.text[nearest.end : start]) or any(
        w in ("but", "while", "whereas") for w in toks.lower[nearest.end : start]
    ):
        return []
    group = [nearest]
    for e in reversed(before[:-1]):
        if _coordinated_left(toks, e, group[0]):
            group.insert(0, e)
        else:
            break
    return group


def _describes_one_firm(toks: Tokens, e: Ent) -> bool:
    """ "an American maker of ...": the country only describes a firm (unlike "Chinese firms",
    which stands for the country's firms together)."""
    if e.end >= len(toks):
        return False
    nxt = toks.lower[e.end]
    return nxt in FIRM_NOUNS and nxt not in COLLECTIVE_HEADS and toks.lex[e.end].is_lower


# Words after a comma that open an aside.
_ASIDE_OPENERS = frozenset(
    {"which", "who", "whose", "a", "an", "the", "its", "whom", "once", "formerly"}
)


def _parentheticals(toks: Tokens, sent: Sentence, start: int) -> list[tuple[int, int]]:
    """Token ranges of ", which ... ," and ", a Dutch firm ," asides that close before the cue:
    their entities are not its subject ("ASML, which is based in the Netherlands, supplies")."""
    out: list[tuple[int, int]] = []
    text = toks.text
    i = sent.start
    while i < start:
        if text[i] == "," and i + 1 < sent.end and _opens_aside(toks, i + 1, sent.end):
            close = next(
                (j for j in range(i + 2, start) if text[j] in (",", "\u2014", "\u2013")), None
            )
            if close is not None:
                out.append((i, close + 1))
                i = close + 1
                continue
        i += 1
    return out


def _opens_aside(toks: Tokens, k: int, end: int) -> bool:
    """Whether the word after a comma opens an aside: "which", "a", ... or a possessive
    ("SMIC, China's largest foundry, has been on")."""
    return toks.lower[k] in _ASIDE_OPENERS or (
        k + 1 < end and toks.lower[k + 1] in ("'s", "\u2019s")
    )


def _coordinated_left(toks: Tokens, e: Ent, nxt: Ent) -> bool:
    between = toks.lower[e.end : nxt.start]
    return len(between) > 0 and all(w in _COORD for w in between)


# -- the right side ------------------------------------------------------------------------------


def _right(
    toks: Tokens,
    sent: Sentence,
    cue: Cue,
    start: int,
    end: int,
    anchor: int,
    ents: Sequence[Ent],
    parsed: bool,
) -> list[Ent]:
    low = toks.lower
    limit = sent.end
    if cue.until:
        found = _until(toks, end, sent.end, cue.until)
        if found is None:
            return []
        limit = found
    after = [e for e in ents if e.start >= end and e.end <= limit]
    if cue.free:
        return _free_objects(toks, sent, cue, end, limit, ents, parsed)
    if not after:
        return []
    cue_prep = low[end - 1]
    picked: list[Ent] = []
    previous_end = end
    for e in after:
        if any(w in _CLAUSE_END for w in low[previous_end : e.start]) or any(
            t in _CLAUSE_END for t in toks.text[previous_end : e.start]
        ):
            break
        if not picked:
            if e.start - end > MAX_GAP:
                break
            if _introduced_by_adjunct(toks, end, e, cue_prep, cue.preps):
                # "Huawei supplies ... in Germany": skip a place, keep looking
                previous_end = e.end
                continue
            if e.type != "Technology" and any(
                o.start == e.end and o.type == "Technology" for o in after
            ):
                # "two further ASML DUV scanners": the firm describes the technology
                previous_end = e.end
                continue
            if e.type == "Country" and _modifier(toks, e, parsed):
                # "barred American firms from selling to ZTE": the firms are not the country
                previous_end = e.end
                continue
            if e.end < limit and low[e.end] in _POSSESSIVE and e is not after[-1]:
                # "supplying Huawei's unit HiSilicon": the possessor is not the object
                previous_end = e.end + 1
                continue
            picked.append(e)
        elif all(w in _COORD for w in low[previous_end : e.start]) or (
            cue.preps and _introduced_by(toks, previous_end, e, cue.preps)
        ):
            if not (e.type == "Country" and _modifier(toks, e, parsed)):
                picked.append(e)
        elif _introduced_by_adjunct(toks, previous_end, e, cue_prep, cue.preps):
            previous_end = e.end
            continue
        else:
            break
        previous_end = e.end
    if parsed and picked:
        doc = toks.doc
        verb = _clause_verb(doc[anchor])
        picked = [e for e in picked if _below(doc[e.start : e.end].root, verb)] or []
    return picked


_ALONG = (("along", "with"), ("together", "with"), ("as", "well", "as"), ("and", "also"))


def _free_objects(
    toks: Tokens, sent: Sentence, cue: Cue, end: int, limit: int, ents: Sequence[Ent], parsed: bool
) -> list[Ent]:
    """Every firm or country of the clause after the cue (up to `limit`), whatever introduces
    it; a list phrase's "along with ..." continues it ("added Hikvision and Dahua to the Entity
    List, along with the firms SenseTime, Megvii and Yitu")."""
    low, text = toks.lower, toks.text
    stop = limit
    for i in range(end, limit):
        if text[i] in (";", ":") or low[i] in ("but", "while", "whereas", "because"):
            stop = i
            break
    spans = [(end, stop)]
    if cue.until and limit < sent.end:
        words = low[limit : sent.end]
        for k in range(min(len(words), 8)):
            for phrase in _ALONG:
                if tuple(words[k : k + len(phrase)]) == phrase:
                    tail = limit + k + len(phrase)
                    close = next(
                        (i for i in range(tail, sent.end) if text[i] in (";", ":")), sent.end
                    )
                    spans.append((tail, close))
    out: list[Ent] = []
    for a, b in spans:
        for e in ents:
            if e.start < a or e.end > b or e.type not in ("Firm", "Country", "Technology"):
                continue
            if e.type == "Country" and (_modifier(toks, e, parsed) or _after_in(toks, e, a)):
                continue
            if e.type != "Technology" and e.end < sent.end and low[e.end] in _POSSESSIVE:
                continue
            if e.type == "Technology" and e.end < sent.end and low[e.end] in FIRM_NOUNS:
                continue  # "the Chinese GPU designers": the designers are listed, not GPUs
            out.append(e)
    return out


def _after_in(toks: Tokens, e: Ent, boundary: int) -> bool:
    """Whether a country is introduced as a place ("in the United States", "to China")."""
    return _preposition_before(toks, boundary, e) in ("in", "to", "from", "across", "within")


def _modifier(toks: Tokens, e: Ent, parsed: bool) -> bool:
    """Whether a country mention only describes the noun after it ("American firms", "Chinese
    equipment"), as opposed to naming the country ("to China", "the Dutch government" aside)."""
    if e.end >= len(toks):
        return False
    if parsed:
        root = toks.doc[e.start : e.end].root
        return (
            root.dep_ in ("amod", "compound", "nmod") and root.head.lower_ not in GOVERNMENT_HEADS
        )
    nxt = toks.lex[e.end]
    word = nxt.lower_
    return (
        nxt.is_alpha
        and nxt.is_lower
        and word not in _PREPS
        and word not in _COORD
        and word not in GOVERNMENT_HEADS
        and word not in COLLECTIVE_HEADS
        and word not in _CLAUSE_END
    )


def _until(toks: Tokens, end: int, limit: int, phrases: tuple[str, ...]) -> int | None:
    words = toks.lower[end:limit]
    split = _split_phrases(phrases)
    for i in range(len(words)):
        for parts in split:
            if words[i : i + len(parts)] == parts:
                return end + i
    return None


@cache
def _split_phrases(phrases: tuple[str, ...]) -> tuple[list[str], ...]:
    return tuple(phrase.split() for phrase in phrases)


def _preposition_before(toks: Tokens, boundary: int, e: Ent) -> str | None:
    """The preposition that introduces an entity ("to the EU" -> "to"), skipping determiners
    and modifiers, or None."""
    # boundary and e.start are never negative: the positions of doc[boundary : e.start], last first
    for k in range(e.start - 1, boundary - 1, -1):
        word, lex, pos = toks.lower[k], toks.lex[k], toks.pos[k]
        if word in ("the", "a", "an", "its", "their", "his", "her") or lex.is_punct:
            continue
        if pos in ("ADJ", "NUM") or (pos == "" and lex.is_lower and word not in _PREPS):
            continue
        return word
    return None


def _introduced_by(toks: Tokens, boundary: int, e: Ent, preps: tuple[str, ...]) -> bool:
    return _preposition_before(toks, boundary, e) in preps


def _introduced_by_adjunct(
    toks: Tokens, boundary: int, e: Ent, cue_prep: str, own: tuple[str, ...] = ()
) -> bool:
    """Whether a preposition of place, time or manner introduces the entity (not the cue's own
    preposition, nor one the cue takes: "holds 70% of ESMC")."""
    prep = _preposition_before(toks, boundary, e)
    return (
        prep is not None
        and prep in _ADJUNCT_PREPS
        and prep != cue_prep
        and prep not in own
        and boundary != e.start
    )


def _clause_verb(anchor: Token) -> Token:
    tok = anchor
    for _ in range(4):
        if tok.pos_ in ("VERB", "AUX") or tok.dep_ == "ROOT":
            return tok
        tok = tok.head
    return tok


def _below(tok: Token, ancestor: Token) -> bool:
    return tok == ancestor or ancestor in tok.ancestors


# -- flags ---------------------------------------------------------------------------------------


def _window_tokens(
    toks: Tokens, sent: Sentence, left: Sequence[Ent], start: int, end: int
) -> range:
    """The words between the subject and the cue, from the last clause or verb-phrase boundary
    on ("have never deployed X and have bought Y": "never" does not reach "bought"): the
    positions of doc[begin:end] (a slice, so a negative `end` counts from the end as there)."""
    low = toks.lower
    begin = left[-1].end if left and left[-1].end <= start else max(sent.start, start - 6)
    for k in range(start - 1, begin - 1, -1):
        if low[k] in ("and", "but", ";", "while", "whereas", "which", "that", "or") and (
            k + 1 < start and toks.pos[k + 1] in ("AUX", "VERB", "ADV", "PART")
        ):
            begin = k + 1
            break
    return range(len(toks))[begin:end]


def _negated(
    toks: Tokens,
    sent: Sentence,
    left: Sequence[Ent],
    start: int,
    end: int,
    anchor: int,
    parsed: bool,
) -> bool:
    """Negation between the subject and the cue, or on the cue's verb in the parse."""
    low = toks.lower
    window = _window_tokens(toks, sent, left, start, end)
    words = low[window.start : window.stop]
    if any(w in NEG_WORDS for w in words):
        return True
    if any(tuple(words[i : i + 2]) in NEG_PHRASES for i in range(len(words) - 1)):
        return True
    if toks.pos[anchor] in ("NOUN", "") and low[anchor] in _DEAL_NOUNS:
        # "he blocked Broadcom's $117 billion bid for Qualcomm": the deal never happened
        if parsed and toks.doc[anchor].head.lower_ in BLOCKING_VERBS:
            return True
        before = low[max(sent.start, start - 8) : start]
        if not parsed and any(w in BLOCKING_VERBS for w in before):
            return True
    if parsed:
        verb = _clause_verb(toks.doc[anchor])
        for tok in (verb, *verb.ancestors):
            if any(c.dep_ == "neg" for c in tok.children):
                return True
            if tok.dep_ not in ("xcomp", "ccomp", "conj"):
                break
    return False


# Verbs that stop a deal: what they govern did not take place.
BLOCKING_VERBS = frozenset(
    [
        "blocked",
        "block",
        "blocks",
        "prohibited",
        "prohibit",
        "prohibits",
        "vetoed",
        "veto",
        "vetoes",
        "rejected",
        "reject",
        "rejects",
        "abandoned",
        "abandon",
        "withdrew",
        "withdrawn",
        "scrapped",
        "halted",
        "stopped",
    ]
)
_DEAL_NOUNS = frozenset(
    [
        "bid",
        "bids",
        "purchase",
        "purchases",
        "acquisition",
        "acquisitions",
        "takeover",
        "takeovers",
        "merger",
        "deal",
        "sale",
        "investment",
        "stake",
    ]
)


def _hedged(
    toks: Tokens, sent: Sentence, left: Sequence[Ent], start: int, anchor: int, parsed: bool
) -> bool:
    """A modal, or a verb of planning or considering, between the subject and the cue."""
    window = _window_tokens(toks, sent, left, start, start)
    if any(toks.lower[k] in HEDGE_WORDS and _hedging(toks.doc[k]) for k in window):
        return True
    if parsed:
        verb = _clause_verb(toks.doc[anchor])
        for tok in (verb, *verb.ancestors):
            if any(
                c.tag_ == "MD" and c.lower_ not in ("will", "can", "'ll", "shall") and _hedging(c)
                for c in tok.children
            ):
                return True
            if tok.lower_ in HEDGE_WORDS:
                return True
            if tok.dep_ not in ("xcomp", "ccomp", "conj"):
                break
    return False


def _hedging(tok: Token) -> bool:
    """ "would" hedges a counterfactual ("would have barred", "would be added if"), not reported
    intent ("said it would remove")."""
    if tok.lower_ != "would":
        return True
    doc = tok.doc
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    if nxt is not None and nxt.lower_ == "have":
        return True
    sent = tok.sent
    return any(t.lower_ in ("if", "unless") for t in doc[tok.i : sent.end])


def _unique(ents: Iterable[Ent]) -> list[Ent]:
    seen: set[tuple[int, str]] = set()
    out: list[Ent] = []
    for e in ents:
        if (e.start, e.id) not in seen:
            seen.add((e.start, e.id))
            out.append(e)
    return sorted(out, key=lambda e: e.start)


# -- descriptions: "the Chinese GPU designers Biren and Moore Threads", "Nikon of Japan" ---------

# Nouns that describe a firm: a description built on one says where the firm is from (a demonym
# or a country's possessive) and what it makes (a technology in it: "drone maker").
# Nouns that stand for a firm in any rule ("the Dutch firm", "a Chinese maker").
FIRM_NOUNS_CORE = frozenset(
    {
        "carrier",
        "carriers",
        "center",
        "centre",
        "chipmaker",
        "chipmakers",
        "companies",
        "company",
        "designer",
        "designers",
        "developer",
        "developers",
        "firm",
        "firms",
        "group",
        "institute",
        "laboratory",
        "maker",
        "makers",
        "manufacturer",
        "manufacturers",
        "operator",
        "operators",
        "producer",
        "producers",
        "refiner",
        "refiners",
        "start-up",
        "startup",
        "subsidiary",
        "supplier",
        "suppliers",
        "vendor",
        "vendors",
    }
)
FIRM_NOUNS = FIRM_NOUNS_CORE | {
    "business",
    "businesses",
    "champion",
    "champions",
    "conglomerate",
    "exporter",
    "exporters",
    "foundries",
    "foundry",
    "giant",
    "giants",
    "groups",
    "provider",
    "providers",
    "start-ups",
    "startups",
}
_DESCRIPTION_HEADS = FIRM_NOUNS | {"up", "ups"}
_PLURAL_EXCEPTIONS = frozenset({"business"})
_DESC_DETS = frozenset({"a", "an", "the", "another", "other", "its", "their", "one", "some"})
_BE = frozenset({"is", "are", "was", "were", "remains", "remain", "became", "become", "'s"})
_INCLUDE = frozenset({"include", "includes", "included", "including", "such", "like"})


@dataclass
class _Description:
    start: int  # first token (determiner included)
    end: int  # one past the last token (an "of TECH" tail included)
    head: int  # the firm noun's position
    head_lower: str  # and its lower case
    countries: list[Ent]
    techs: list[Ent]

    @property
    def plural(self) -> bool:
        word = self.head_lower
        return word.endswith("s") and not word.endswith("ss") and word not in _PLURAL_EXCEPTIONS


def _descriptions(
    toks: Tokens, sent: Sentence, ents: Sequence[Ent], parsed: bool
) -> list[_Description]:
    low, text, lex = toks.lower, toks.text, toks.lex
    out: list[_Description] = []
    # Only a firm noun heads a description ("start-up" ends in "up")
    heads = [i for i in range(sent.start, sent.end) if low[i] in _DESCRIPTION_HEADS]
    for i in heads:
        word = low[i]
        if i >= 2 and word in ("up", "ups") and text[i - 1] == "-":
            word = low[i - 2] + "-" + word
        if word not in FIRM_NOUNS:
            continue
        at = _ent_at(ents, i)
        if at is not None and at.type != "Technology":
            continue  # part of a name
        start = at.start if at is not None else i
        if word.startswith("start-"):
            start = i - 2
        countries: list[Ent] = []
        techs: list[Ent] = [at] if at is not None else []
        j = start - 1
        while j >= sent.start:
            t = lex[j]
            e = _ent_at(ents, j)
            if e is not None:
                if e.type == "Country":
                    countries.append(e)
                elif e.type == "Technology":
                    techs.append(e)
                else:
                    break
                j = e.start - 1
                continue
            if t.lower_ in _POSSESSIVE and j - 1 >= sent.start:
                owner = _ent_at(ents, j - 1)
                if owner is not None and owner.type == "Country":
                    j -= 1
                    continue
                break
            if t.lower_ in _DESC_DETS:
                j -= 1
                if t.lower_ in ("a", "an", "the", "another", "its", "their"):
                    break
                continue
            if t.text == "-" or (t.is_alpha and t.is_lower and _modifier_word(toks, j, parsed)):
                j -= 1
                continue
            if t.like_num or t.text == "%":
                j -= 1
                continue
            if t.lower_ == "and" and countries and j - 1 >= sent.start:
                prev = _ent_at(ents, j - 1)
                if prev is not None and prev.type == "Country":
                    j -= 1
                    continue
            break
        end = i + 1
        if end + 1 < sent.end and low[end] == "of":
            k = end + 1
            while k < sent.end and low[k] in ("the", "a", "an"):
                k += 1
            first = _ent_at(ents, k)
            if first is not None and first.type == "Technology" and first.start == k:
                group = [first]
                for e in ents:
                    if e.start > group[-1].start and e.type == "Technology":
                        if all(w in _COORD for w in low[group[-1].end : e.start]):
                            group.append(e)
                        else:
                            break
                techs.extend(group)
                end = group[-1].end
        desc = _Description(j + 1, end, i, low[i], _unique(countries), _unique(techs))
        # "... company in Helsinki, Finland", "... based in Ningde, China"
        k = end
        if k < sent.end and low[k] in ("in", "from"):
            k += 1
            while k < sent.end and k - end < 6 and _ent_at(ents, k) is None:
                k += 1
            place = _ent_at(ents, k)
            if (
                place is not None
                and place.type == "Country"
                and all(
                    lex[m].is_title or text[m] == "," or low[m] == "the"
                    for m in range(end + 1, place.start)
                )
            ):
                desc.countries.append(place)
        out.append(desc)
    return out


def _modifier_word(toks: Tokens, i: int, parsed: bool) -> bool:
    """A lower-case word that may sit inside a description ("largest", "privately held",
    "research"), as opposed to a verb, a preposition or a conjunction."""
    word = toks.lower[i]
    if word in _PREPS or word in _COORD or word in _CLAUSE_END:
        return False
    if word in _BE or word in _INCLUDE:
        return False
    if parsed:
        tok = toks.doc[i]
        return (
            toks.pos[i] in ("ADJ", "NOUN", "ADV", "PROPN", "NUM")
            or tok.tag_ in ("VBN", "VBG")
            or tok.dep_ in ("amod", "compound", "advmod", "nummod", "npadvmod")
        )
    return True


def _firm_group(
    toks: Tokens, ents: Sequence[Ent], first: int, sent: Sentence, plural: bool
) -> list[Ent]:
    """The firm starting at token `first` and, for a plural description, those coordinated
    with it ("Biren Technology and Moore Threads")."""
    e = _ent_at(ents, first)
    if e is None or e.type != "Firm" or e.start != first:
        return []
    group = [e]
    if not plural:
        return group
    for other in ents:
        if other.start < group[-1].end:
            continue
        between = toks.lower[group[-1].end : other.start]
        if other.type == "Firm" and between and all(w in (",", "and", "&") for w in between):
            group.append(other)
        else:
            break
    return group


def _firm_group_before(toks: Tokens, ents: Sequence[Ent], end: int, plural: bool) -> list[Ent]:
    """The firm ending at token `end` (and, if plural, the firms coordinated before it); a
    defined abbreviation in between is skipped ("... Corporation (SMIC), China's largest")."""
    if end >= 3 and toks.text[end - 1] == ")" and toks.text[end - 3] == "(":
        end -= 3
    e = next((x for x in ents if x.end == end), None)
    if e is None or e.type != "Firm":
        return []
    group = [e]
    if not plural:
        return group
    for other in reversed(ents):
        if other.end > group[0].start:
            continue
        between = toks.lower[other.end : group[0].start]
        if other.type == "Firm" and between and all(w in (",", "and", "&") for w in between):
            group.insert(0, other)
        else:
            break
    return group


def _described_firms(
    toks: Tokens, sent: Sentence, ents: Sequence[Ent], d: _Description, parsed: bool
) -> list[Ent]:
    """The firms a description is about, by where it stands."""
    low, text = toks.lower, toks.text
    firms: list[Ent] = []
    after = d.end
    # pre-posed: "the American firm Micron", "the Chinese GPU designers Biren and Moore Threads"
    firms += _firm_group(toks, ents, after, sent, d.plural)
    # "Japanese firms such as JSR and Tokyo Ohka Kogyo", "Chinese producers include Yunnan ..."
    k = after
    if k < sent.end and low[k] in _INCLUDE:
        k += 2 if low[k] == "such" else 1
        firms += _firm_group(toks, ents, k, sent, True)
    # apposition: "Autel Robotics, another Chinese drone maker", "AT&T and Verizon, the large
    # American carriers", "SMIC, China's largest foundry"
    s = d.start
    if s - 1 >= sent.start and text[s - 1] == ",":
        firms += _firm_group_before(toks, ents, s - 1, d.plural)
        if s - 3 >= sent.start and text[s - 1] == "," and low[s] == "one":
            firms += _firm_group_before(toks, ents, s - 1, False)
    # "... and other Japanese companies", "are among the Indian companies"
    k = s - 1
    while k >= sent.start and low[k] in ("the", "among", "and", "other", "are", "is"):
        k -= 1
    words = set(low[k + 1 : d.head])
    if ("other" in words and "and" in words) or "among" in words:
        firms += _firm_group_before(toks, ents, k + 1, True)
    return _unique(firms)


def _descriptive(
    toks: Tokens, sent: Sentence, ents: Sequence[Ent], parsed: bool, schema: Schema
) -> Iterator[ExtractedRelation]:
    """HEADQUARTERED_IN and PRODUCES read off descriptions of firms, and origins written as
    "Nikon of Japan", "Leiden Cryogenics in the Netherlands", "Taiwan's TSMC"."""
    low, lex = toks.lower, toks.lex
    hq = (("HEADQUARTERED_IN", FWD),)
    makes = (("PRODUCES", FWD),)
    for d in _descriptions(toks, sent, ents, parsed):
        firms = _described_firms(toks, sent, ents, d, parsed)
        # "South Korea, whose chipmakers Samsung Electronics and SK hynix"
        if d.start - 1 >= sent.start and low[d.start - 1] == "whose":
            owner = next((e for e in ents if e.end == d.start - 2), None)
            if owner is not None and owner.type == "Country":
                d.countries.append(owner)
        if not firms:
            continue
        yield from _emit(
            schema,
            sent,
            hq,
            [(f, c) for f in firms for c in d.countries],
            CONF_WINDOW,
            False,
            False,
        )
        yield from _emit(
            schema, sent, makes, [(f, t) for f in firms for t in d.techs], CONF_WINDOW, False, False
        )
    for i, e in enumerate(ents):
        # "Japan, where Shin-Etsu Chemical and SUMCO together supply ..."
        if (
            e.type == "Country"
            and e.end + 2 < sent.end
            and toks.text[e.end] == ","
            and low[e.end + 1] == "where"
        ):
            group = _firm_group(toks, ents, e.end + 2, sent, True)
            yield from _emit(schema, sent, hq, [(g, e) for g in group], CONF_WINDOW, False, False)
        # "Taiwan's TSMC", "Japan's TDK", "Japan's Ministry of Economy, Trade and Industry"
        if e.type == "Country" and e.end + 1 < sent.end and low[e.end] in _POSSESSIVE:
            nxt = ents[i + 1] if i + 1 < len(ents) else None
            if nxt is not None and nxt.start == e.end + 1:
                options = (("HEADQUARTERED_IN", FWD), ("AGENCY_OF", FWD))
                group = _firm_group(toks, ents, nxt.start, sent, True) or [nxt]
                yield from _emit(
                    schema, sent, options, [(g, e) for g in group], CONF_WINDOW, False, False
                )
        # "Nikon of Japan", "Maybell Quantum Industries of Denver in the United States",
        # "Leiden Cryogenics in the Netherlands"
        if e.type == "Firm" and e.end + 1 < sent.end and low[e.end] in ("of", "in"):
            k = e.end + 1
            while k < sent.end and k - e.end <= 5 and _ent_at(ents, k) is None:
                if not (lex[k].is_title or low[k] in ("the", "in", ",")):
                    break
                k += 1
            place = _ent_at(ents, k)
            if place is None or place.type != "Country" or place.start != k:
                continue
            before = low[e.start - 1] if e.start > sent.start else ""
            if low[e.end] == "in" and before not in ("and", ",", "", *_INCLUDE, "as"):
                continue  # "supplies Vodafone in Germany": where it sells, not where it is from
            follows = lex[place.end] if place.end < sent.end else None
            if (
                follows is not None
                and low[e.end] == "in"
                and not (follows.is_punct or follows.lower_ in ("and", "has", "have", "is"))
                and follows.is_alpha
                and follows.is_lower
                and follows.lower_ not in _BE
            ):
                continue  # "TSMC in the United States makes": not where TSMC is from
            group = (
                _firm_group_before(toks, ents, e.end, True)
                if i and low[e.start - 1] in ("and", ",")
                else [e]
            )
            yield from _emit(
                schema, sent, hq, [(g, place) for g in group], CONF_WINDOW, False, False
            )


# -- memberships written as lists: "the Group of Seven (Canada, France, ...)" --------------------

_MEMBER_NOUNS = frozenset(
    [
        "member",
        "members",
        "participant",
        "participants",
        "signatory",
        "signatories",
        "state",
        "states",
        "country",
        "countries",
        "partner",
        "partners",
    ]
)
_LIST_OPENERS = frozenset({"(", "of", "between", "comprising", "including", ":", "\u2014"})


def _countries_from(toks: Tokens, ents: Sequence[Ent], k: int, end: int) -> list[Ent]:
    """The coordinated countries starting at token k ("Canada, France, ... and the US")."""
    low = toks.lower
    while k < end and low[k] in ("the", "a"):
        k += 1
    first = _ent_at(ents, k)
    if first is None or first.type != "Country" or first.start != k:
        return []
    group = [first]
    for e in ents:
        if e.start < group[-1].end:
            continue
        between = low[group[-1].end : e.start]
        if e.type == "Country" and all(w in (",", "and", "the", "&") for w in between):
            group.append(e)
        else:
            break
    return group


def _memberships(
    toks: Tokens, sent: Sentence, ents: Sequence[Ent], parsed: bool, schema: Schema
) -> Iterator[ExtractedRelation]:
    """MEMBER_OF from an alliance followed by the list of its members, and from "a participating
    state" / "participating states, including ..." next to an alliance."""
    low, text, lex = toks.lower, toks.text, toks.lex
    member = (("MEMBER_OF", FWD),)
    alliances = [e for e in ents if e.type == "Alliance"]
    for a in alliances:
        k = a.end
        while k < sent.end and k - a.end <= 3 and low[k] not in _LIST_OPENERS:
            if not (lex[k].is_lower or low[k] in ("'s",)) or _ent_at(ents, k):
                break
            k += 1
        if k < sent.end and low[k] in _LIST_OPENERS:
            group = _countries_from(toks, ents, k + 1, sent.end)
            if len(group) >= 2:
                yield from _emit(
                    schema, sent, member, [(c, a) for c in group], CONF_WINDOW, False, False
                )
    if not alliances:
        return
    for i in range(sent.start, sent.end):
        word = low[i]
        if word not in _MEMBER_NOUNS or _ent_at(ents, i) is not None:
            continue
        prev = low[i - 1] if i > sent.start else ""
        if word in ("state", "states", "country", "countries") and prev not in (
            "participating",
            "member",
            "founding",
        ):
            continue
        alliance = min(alliances, key=lambda e: abs(e.start - i))
        countries: list[Ent] = []
        # "Russia, a participating state,"
        j = i - 1
        while j > sent.start and lex[j].is_lower and low[j] not in ("and", "or"):
            j -= 1
        if text[j] == "," and j > sent.start:
            before = next((e for e in ents if e.end == j), None)
            if before is not None and before.type == "Country":
                countries.append(before)
        # "participating states, including India, ... and Russia"
        k = i + 1
        if k < sent.end and text[k] == ",":
            k += 1
        if k < sent.end and low[k] in ("including", "such", "like", ":"):
            k += 2 if low[k] == "such" else 1
            countries += [
                e
                for e in ents
                if e.start >= k
                and e.type == "Country"
                and not _modifier(toks, e, parsed)
                and not any(t in (";",) for t in text[k : e.start])
            ]
        negated = any(w in NEG_WORDS for w in low[max(sent.start, i - 4) : i])
        yield from _emit(
            schema, sent, member, [(c, alliance) for c in countries], CONF_WINDOW, negated, False
        )
