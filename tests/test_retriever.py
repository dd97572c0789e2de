"""The retriever on a hand-written section 9 with the keyword fake embedder: exact lookup, fusion, the
query cache, and refusing an index that does not match or is broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpus.model import Passage, Symbol
from index.build import LEXICAL, PASSAGES, ROWS, VECTORS, build_index
from index.embedder import Embedder
from index.encoder import QueryEncoder
from index.fingerprint import code_sha256
from index.library import Library
from index.manifest import MANIFEST, BadIndex, Manifest, Wanted
from index.open import open_directory
from index.query import Hit, UnknownId, UnknownSymbol
from index.ranking import DENSE_WEIGHT, LEXICAL_WEIGHT, RRF_K
from reader.question import analyse

from .fakes import KeywordEmbedder

DOC = "A/78/6 (Sect. 9)"
URL = "https://undocs.org/ch/A/RES/77/71"
SYM = Symbol("77/71", URL)
PLAN = ["A. 2024 年拟议方案计划", "战略"]
MONEY = ["B. 所需资源", "概述"]
Q, P, SHA = "q: ", "p: ", "x"
VOCAB = ("外层空间", "培训", "小武器", "资源", "决议")


def _passages() -> list[Passage]:
    return [
        Passage("9.1", DOC, "paragraph", "本方案支持和平利用外层空间，并为会员国提供培训。", PLAN),
        Passage(
            "9.2",
            DOC,
            "paragraph",
            "为实现这一目标，本方案将：(a) 协助会员国执行大会第 77/71 号决议；(b) 为小武器管制提供培训。",
            PLAN,
            children=["9.2(a)", "9.2(b)"],
            symbols=[SYM],
        ),
        Passage(
            "9.2(a)",
            DOC,
            "item",
            "(a) 协助会员国执行大会第 77/71 号决议；",
            PLAN,
            parent="9.2",
            symbols=[SYM],
        ),
        Passage("9.2(b)", DOC, "item", "(b) 为小武器管制提供培训。", PLAN, parent="9.2"),
        Passage(
            "9.3",
            DOC,
            "paragraph",
            "2024 年拟议资源比 2023 年增长 9.1%，详情见表 9.1。",
            MONEY,
            children=["表9.1"],
        ),
        Passage(
            "表9.1",
            DOC,
            "table",
            "财政资源(千美元)\n员额 | 120.5 | 130.0\n非员额 | 15.0 | 16.2",
            MONEY,
            parent="9.3",
        ),
        Passage(
            "9.4",
            DOC,
            "paragraph",
            "大会第 77/71 号决议要求秘书长就小武器问题提交报告。",
            MONEY,
            symbols=[SYM],
        ),
    ]


def _build(directory: Path, passages: list[Passage], embedder: Embedder) -> None:
    build_index(
        passages, embedder, directory, corpus_sha256=SHA, query_prefix=Q, passage_prefix=P, progress=False
    )


def _load(
    directory: Path, embedder: Embedder, changes: dict[str, str] | None = None, cache_size: int = 2048
) -> Library:
    settings = {"query_prefix": Q, "passage_prefix": P, "corpus_sha256": SHA, **(changes or {})}
    wanted = Wanted(
        model_id=embedder.model_id,
        query_prefix=settings["query_prefix"],
        passage_prefix=settings["passage_prefix"],
        corpus_sha256=settings["corpus_sha256"],
        code_sha256=code_sha256(),
        doc=Manifest.load(directory).doc if (directory / MANIFEST).exists() else DOC,
        query_engine=embedder.model_id,
    )
    return open_directory(directory, QueryEncoder(embedder, cache_size), wanted)


def _search(retriever: Library, text: str, top_k: int = 10) -> list[Hit]:
    return retriever.search(analyse(text), top_k)


@pytest.fixture(scope="module")
def section9_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("section9") / "idx"
    _build(directory, _passages(), KeywordEmbedder(VOCAB))
    return directory


@pytest.fixture
def fake() -> KeywordEmbedder:
    return KeywordEmbedder(VOCAB)


@pytest.fixture
def retriever(section9_dir: Path, fake: KeywordEmbedder) -> Library:
    return _load(section9_dir, fake)


def _ids(hits: list[Hit]) -> list[str]:
    return [h.passage.id for h in hits]


# ---------------------------------------------------------------- exact lookup


@pytest.mark.parametrize(
    ("query", "pid"),
    [
        ("第 9.2 (b) 段讲什么", "9.2(b)"),
        ("表 9.1 的数字是多少", "表9.1"),
        ("what does table 9.1 say", "表9.1"),
        ("para 9.4", "9.4"),
    ],
)
def test_a_query_naming_an_id_gets_it_first(retriever: Library, query: str, pid: str) -> None:
    hits = _search(retriever, query, top_k=5)
    assert hits[0].passage.id == pid and hits[0].exact and hits[0].score == 1.0
    assert [h.exact for h in hits[1:]] == [False] * (len(hits) - 1)


def test_item_and_its_paragraph_are_not_both_listed(retriever: Library) -> None:
    ids = _ids(_search(retriever, "第 9.2 (b) 段讲什么", top_k=10))
    assert "9.2(b)" in ids and "9.2" not in ids


def test_a_query_naming_a_symbol_gets_the_citing_passages_first(retriever: Library) -> None:
    hits = _search(retriever, "哪些段落引用了 77/71？", top_k=10)
    # 9.2, 9.2(a) and 9.4 cite it; 9.2(a) folds into 9.2, which already says so.
    assert _ids(hits)[:2] == ["9.2", "9.4"] and all(h.exact for h in hits[:2])
    assert "9.2(a)" not in _ids(hits)


def test_a_percentage_is_not_a_paragraph_number(retriever: Library) -> None:
    assert retriever.view().mentioned(analyse("资源增长 9.1% 的原因")) == []
    assert not any(h.exact for h in _search(retriever, "资源增长 9.1% 的原因"))
    assert [p.id for p in retriever.view().mentioned(analyse("9.1 段和增长 9.1%"))] == [
        "9.1"
    ]  # once named as a paragraph


@pytest.mark.parametrize(
    ("form", "pid"),
    [("第9.2(b)段", "9.2(b)"), ("9.2 (b)", "9.2(b)"), ("Table 9.1", "表9.1"), ("paragraph 9.4", "9.4")],
)
def test_resolve_accepts_every_id_form(retriever: Library, form: str, pid: str) -> None:
    assert retriever.resolve(form).id == pid


def test_resolve_unknown_id_names_the_nearest(retriever: Library) -> None:
    with pytest.raises(UnknownId) as info:
        retriever.resolve("9.9")
    # difflib ratio 2*M/T: "9.9" vs "9.1" shares "9." → 4/6 = 0.67, vs "表9.1" 4/8 = 0.5, vs "9.2(a)" 4/9 = 0.44,
    # so the four paragraphs come first.
    assert set(info.value.nearest[:4]) == {"9.1", "9.2", "9.3", "9.4"}
    assert "'9.9'" in str(info.value) and "9.1" in str(info.value)
    with pytest.raises(UnknownId):
        retriever.resolve("hello")


def test_citing(retriever: Library) -> None:
    symbol, citing, url = retriever.citing("７７/７１")  # full-width digits as typed
    # Issue 12: the item that mentions it (9.2(a)), not its paragraph, with the offsets of each mention.
    assert (symbol, [p.id for p, _ in citing], url) == ("77/71", ["9.2(a)", "9.4"], URL)
    for p, mentions in citing:
        assert [p.text[s:e] for s, e in mentions] == ["77/71"]
    assert [p.id for p, _ in retriever.citing("A/RES/77/71")[1]] == ["9.2(a)", "9.4"]
    with pytest.raises(UnknownSymbol) as info:
        retriever.citing("77/72")
    assert info.value.nearest == ["77/71"]


# ---------------------------------------------------------------- fusion


def _fused(dense_rank: int | None, lexical_rank: int | None) -> float:
    return sum(w / (RRF_K + r) for w, r in ((DENSE_WEIGHT, dense_rank), (LEXICAL_WEIGHT, lexical_rank)) if r)


def test_fusion_order(tmp_path: Path) -> None:
    fake = KeywordEmbedder(("alpha", "beta", "gamma"))
    # Query "alpha beta": fake keywords {alpha, beta}; BM25 tokens alpha, beta.
    #   8.1 "alphabeta …": keywords {alpha, beta}, cosine 1;           BM25 token "alphabeta" ≠ alpha: no score
    #   8.2 "alpha …":     keywords {alpha},       cosine 1/√2 = 0.71; BM25 alpha tf 1 → rank 2
    #   8.3 "beta beta gamma": {beta, gamma},      cosine 1/2 = 0.5;   BM25 beta tf 2 → rank 1 (same idf, same length)
    # Dense ranks 8.1, 8.2, 8.3; lexical ranks 8.3, 8.2. With RRF_K = 10, dense weight 1 and lexical weight 1.5:
    #   8.3: 1/13 + 1.5/11 = 0.2133 > 8.2: 1/12 + 1.5/12 = 0.2083 > 8.1: 1/11 = 0.0909
    # one first and one third place beat two second places; the dense-only top comes last.
    passages = [
        Passage("8.1", "D", "paragraph", "alphabeta epsilon zeta"),
        Passage("8.2", "D", "paragraph", "alpha delta delta"),
        Passage("8.3", "D", "paragraph", "beta beta gamma"),
    ]
    _build(tmp_path / "idx", passages, fake)
    hits = _search(_load(tmp_path / "idx", fake), "alpha beta")
    expected = {"8.1": _fused(1, None), "8.2": _fused(2, 2), "8.3": _fused(3, 1)}
    assert _ids(hits) == sorted(expected, key=lambda p: -expected[p]) == ["8.3", "8.2", "8.1"]
    assert [h.dense for h in hits] == pytest.approx([0.5, 2**-0.5, 1.0])
    assert [h.lexical > 0 for h in hits] == [True, True, False]
    # Scores are the fused values on one scale.
    assert hits[2].score / hits[0].score == pytest.approx(expected["8.1"] / expected["8.3"], rel=1e-4)


@pytest.mark.parametrize("order", [["8.1", "8.2"], ["8.2", "8.1"]])
def test_ties_are_broken_by_document_order(
    tmp_path: Path, order: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Equal weights make the tie below exact; the tie-break is what is tested, not the weights.
    monkeypatch.setattr("index.ranking.LEXICAL_WEIGHT", DENSE_WEIGHT)
    fake = KeywordEmbedder(("alpha", "beta"))
    # Query "alpha beta". "alphabeta beta kappa" has keywords {alpha, beta} (cosine 1, dense rank 1) and BM25
    # beta tf 1; "alpha alpha kappa" has {alpha} (cosine 0.71, rank 2) and alpha tf 2, so lexical rank 1
    # (both terms have df 1, hence the same idf; both texts are 3 tokens). Each fuses to 1/(k+1) + 1/(k+2): a tie,
    # so whichever comes first in the document is listed first.
    texts = {"8.1": "alphabeta beta kappa", "8.2": "alpha alpha kappa"}
    passages = [Passage(pid, "D", "paragraph", texts[pid]) for pid in order]
    _build(tmp_path / "idx", passages, fake)
    hits = _search(_load(tmp_path / "idx", fake), "alpha beta")
    assert _ids(hits) == order
    assert hits[0].score == hits[1].score


# ---------------------------------------------------------------- query cache


def test_the_same_normalised_query_is_embedded_once(retriever: Library, fake: KeywordEmbedder) -> None:
    _search(retriever, "小武器 培训")
    _search(retriever, "  小武器   培训 ")  # the same query once whitespace is normalised
    _search(retriever, "小武器　培训")  # NFKC turns the ideographic space into a space
    assert fake.query_calls == 1
    _search(retriever, "外层空间")
    assert fake.query_calls == 2 and fake.queries == ["小武器 培训", "外层空间"]


def test_the_cache_is_bounded(section9_dir: Path, fake: KeywordEmbedder) -> None:
    retriever = _load(section9_dir, fake, cache_size=1)
    for query in ["培训", "资源", "培训"]:  # "资源" evicts "培训"
        _search(retriever, query)
    assert fake.query_calls == 3


# ---------------------------------------------------------------- the index on disk


@pytest.mark.parametrize(
    ("embedder", "changes"),
    [
        (KeywordEmbedder(VOCAB), {"query_prefix": "query: "}),
        (KeywordEmbedder(VOCAB), {"passage_prefix": "passage: "}),
        (KeywordEmbedder(VOCAB), {"corpus_sha256": "y"}),
        (KeywordEmbedder(VOCAB, model_id="another-model"), {}),
    ],
)
def test_a_mismatched_index_is_refused(
    section9_dir: Path, embedder: KeywordEmbedder, changes: dict[str, str]
) -> None:
    with pytest.raises(BadIndex, match="citeqa build"):
        _load(section9_dir, embedder, changes)


@pytest.mark.parametrize("damage", ["truncate vectors", "delete rows", "drop a row", "delete manifest"])
def test_a_broken_index_is_refused_at_load(section9_dir: Path, tmp_path: Path, damage: str) -> None:
    broken = Path(shutil.copytree(section9_dir, tmp_path / "idx"))
    if damage == "truncate vectors":
        data = (broken / VECTORS).read_bytes()
        (broken / VECTORS).write_bytes(data[: len(data) // 2])
    elif damage == "delete rows":
        (broken / ROWS).unlink()
    elif damage == "drop a row":
        lines = (broken / ROWS).read_text(encoding="utf-8").splitlines(keepends=True)
        (broken / ROWS).write_text("".join(lines[:-1]), encoding="utf-8")
    else:
        (broken / MANIFEST).unlink()
    with pytest.raises(BadIndex, match="citeqa build"):
        _load(broken, KeywordEmbedder(VOCAB))


def test_building_twice_replaces_the_index_whole(tmp_path: Path) -> None:
    out = tmp_path / "indexes" / "idx"
    fake = KeywordEmbedder(VOCAB)
    _build(out, _passages(), fake)
    _build(out, _passages()[:2], fake)  # a smaller corpus the second time
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "idx"
    ]  # no temporary or old directories beside it
    assert {MANIFEST, VECTORS, ROWS, PASSAGES, LEXICAL} <= {p.name for p in out.iterdir()}
    retriever = _load(out, fake)
    assert [p.id for p in retriever.view().passages] == ["9.1", "9.2"]
    assert retriever.manifest.passages == 2
