"""The drafters' daily work on the real document: a table in parts as a spreadsheet (pandas reads numbers, a part
column, the total across parts a part of its own, in the CSV and in the JSON grid), every copy-ready citation the
service writes pasted back into it, and the forms a resolution is named by.

Fast: the real document's index is built with the keyword embedder (no model); ids and symbols do not need one.
The end-to-end checks on the real model are at the bottom."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from corpus.candidates import Candidate, candidates
from corpus.ids import InvalidId, parse_citation, parse_id, parse_table_ref
from corpus.model import Passage
from corpus.parser import DEFAULT_SOURCE, DEFAULT_SYMBOL, load_document
from corpus.symbols import parse_symbol
from corpus.table_model import Column, Table, across_parts
from index.build import build_index
from index.fingerprint import corpus_sha256
from index.query import Hit
from reader.citations import cite_en, cite_zh, label_en, label_zh
from reader.scoring import _Read
from service.api.table_views import csv_columns
from tests.tiny import PASSAGE_PREFIX, QUERY_PREFIX, KeywordEmbedder, tiny_client, tiny_settings

PARTED = ["表4.24", "表4.25"]  # the tables in parts: (1) 经常预算, (2) 预算外, then their 共计
TOTAL = "(1)+(2) 共计"


@pytest.fixture(scope="module")
def passages() -> tuple[Passage, ...]:
    return load_document()


@pytest.fixture(scope="module")
def by_id(passages: tuple[Passage, ...]) -> dict[str, Passage]:
    return {p.id: p for p in passages}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, passages: tuple[Passage, ...]) -> Iterator[TestClient]:
    """The service on the real document, its index built with the keyword embedder (lookups need no model)."""
    index_dir: Path = tmp_path_factory.mktemp("drafters") / "index"
    build_index(
        list(passages),
        KeywordEmbedder(),
        index_dir,
        corpus_sha256([(DEFAULT_SYMBOL, DEFAULT_SOURCE)]),
        QUERY_PREFIX,
        PASSAGE_PREFIX,
        progress=False,
    )
    # Every passage is asked for in four forms: more than a caller may ask a minute.
    settings = tiny_settings(
        index_dir, corpus=DEFAULT_SOURCE, doc_symbol=DEFAULT_SYMBOL, rate_limit_per_min=0
    )
    with tiny_client(settings) as client:
        yield client


def _table(by_id: dict[str, Passage], tid: str) -> Table:
    table = by_id[tid].table
    assert table is not None
    return table


def _csv(app: TestClient, tid: str, printed: bool = False) -> pd.DataFrame:
    r = app.get(f"/tables/{tid}.csv" + ("?printed=1" if printed else ""))
    assert r.status_code == 200, r.text
    assert r.content.startswith("\ufeff".encode())
    return pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig", keep_default_na=False, na_values=[""])


# ---------------------------------------------------------------- tables in parts: the grid


def test_the_document_has_two_tables_in_parts(by_id: dict[str, Passage]) -> None:
    parted = [p.id for p in by_id.values() if p.table and any(c.part for c in p.table.columns)]
    assert parted == PARTED


@pytest.mark.parametrize("tid", PARTED)
def test_the_total_across_parts_is_a_part_of_its_own(by_id: dict[str, Passage], tid: str) -> None:
    p = by_id[tid]
    table = _table(by_id, tid)
    numbered = [part for part in dict.fromkeys(c.part for c in table.columns) if part and part != TOTAL]
    assert numbered == ["(1) 经常预算", "(2) 预算外"]
    total = next(r for r in table.rows if r.label == "共计")
    assert total.part == TOTAL and total.part not in numbered
    columns = {c.index: c for c in table.columns}
    assert {columns[c.col].part for c in total.cells} == {TOTAL}
    # It adds up the parts: its last figure is the sum of the parts' own totals' last figures.
    subtotals = [next(r for r in table.rows if r.label == f"小计({n})") for n in (1, 2)]
    assert total.cells[-1].value == pytest.approx(sum(r.cells[-1].value or 0 for r in subtotals), abs=0.11)
    # Under the heads it is printed under (part (2)'s), its ids name its own columns, its text is unchanged.
    last = [c.path[1:] for c in table.columns if c.part == numbered[-1]]
    assert [columns[c.col].path[1:] for c in total.cells] == last
    assert all(c.id == f"{total.id}/c{c.col}" and p.text[c.start : c.end] == c.raw for c in total.cells)


@pytest.mark.parametrize("tid", PARTED)
def test_json_grid_gives_the_total_its_part(app: TestClient, tid: str) -> None:
    table = app.get(f"/passages/{tid}").json()["table"]
    total = next(r for r in table["rows"] if r["label"] == "共计")
    assert total["part"] == TOTAL and total["part"] != "(2) 预算外"
    parts = {c["index"]: c["part"] for c in table["columns"]}
    assert {parts[c["col"]] for c in total["cells"]} == {TOTAL}
    focus = app.get(f"/passages/{total['cells'][0]['id']}").json()["focus"]
    assert focus["part"] == TOTAL and focus["column_path"][0] == TOTAL


@pytest.mark.parametrize(
    ("question", "meets", "breaks"),
    [
        ("2024 年经常预算员额共计多少个？", 0.0, 1.0),
        ("2024 年预算外员额共计多少个？", 0.0, 1.0),
        ("How many regular budget posts are proposed for 2024?", 0.0, 1.0),
        ("2024 年经常预算和预算外员额合计多少个？", 1.0, 0.0),
    ],
)
def test_the_reader_takes_the_total_across_parts_for_both_funding_sources(
    app: TestClient, by_id: dict[str, Passage], question: str, meets: float, breaks: float
) -> None:
    answerer = app.app.state.citeqa.loaded.answerer()  # type: ignore[attr-defined]
    cells = [c for c in candidates([by_id["表4.25"]]) if c.kind == "cell" and c.cell_id]
    total = next(c for c in cells if across_parts(c.column))
    regular = next(c for c in cells if c.column.startswith("(1) 经常预算") and "小计(1)" in c.row_label)
    hit = Hit(by_id["表4.25"], 1.0, 1.0, 1.0, False)
    q = answerer.analyse(question)

    def funding(c: Candidate) -> tuple[float, float]:
        f = answerer.reader.features(_Read(q, {}, 0.5, 5), c, hit, 0.5, 0)
        return f["funding_ok"], f["funding_bad"]

    assert funding(total) == (meets, breaks)
    if q.funding == "regular" and not meets:
        assert funding(regular) == (1.0, 0.0)  # the part's own total still meets it


# ---------------------------------------------------------------- tables in parts: the CSV


@pytest.mark.parametrize("tid", PARTED)
def test_csv_of_a_table_in_parts_is_a_spreadsheet(
    app: TestClient, by_id: dict[str, Passage], tid: str
) -> None:
    table = _table(by_id, tid)
    df = _csv(app, tid)
    label = table.stub
    assert list(df.columns[:3]) == ["part", label, "unit"]
    values = list(df.columns[3:])
    assert all(pd.api.types.is_numeric_dtype(df[c]) for c in values), df.dtypes
    # The parts stack: one CSV row per data row, each saying its part; no column is a part's.
    data = [r for r in table.rows if r.kind == "data"]
    assert list(zip(df["part"], df[label], strict=True)) == [(r.part, r.label) for r in data]
    assert set(df["part"]) == {"(1) 经常预算", "(2) 预算外", TOTAL}
    assert not any(c.startswith("(") for c in values)
    assert df[df[label] == "共计"]["part"].tolist() == [TOTAL]
    # Each figure is its cell's value, under its column's label; `—` is empty.
    columns = {c.index: c for c in table.columns}
    for k, r in enumerate(data):
        for cell in r.cells:
            got = df.iloc[k][columns[cell.col].label]
            if cell.value is None:
                assert pd.isna(got), (r.label, cell.raw)
            else:
                assert got == pytest.approx(cell.value), (r.label, cell.raw)


def test_csv_columns_merge_across_parts_only() -> None:
    def col(index: int, part: str | None, *path: str) -> Column:
        return Column(index, ([part] if part else []) + list(path), part=part)

    table = Table(
        id="表9.9",
        caption="",
        unit=None,
        aligned=True,
        rows=[],
        columns=[
            col(1, "(1) 甲", "2023 年", "批款"),
            col(2, "(1) 甲", "变动"),
            col(3, "(1) 甲", "变动"),
            col(4, "(2) 乙", "2023 年", "批款"),
            col(5, "(2) 乙", "变动"),
        ],
    )
    assert csv_columns(table) == [("2023 年批款", [1, 4]), ("变动", [2, 5]), ("变动 (2)", [3])]


def test_csv_total_sits_under_its_own_figures(app: TestClient) -> None:
    df = _csv(app, "表4.24").set_index("part")
    total = df.loc[TOTAL]
    subtotal_1 = df[df["构成部分/次级方案"] == "小计(1)"].iloc[0]
    subtotal_2 = df[df["构成部分/次级方案"] == "小计(2)"].iloc[0]
    # 2022 expenditure is headed alike in both parts: one column, and the total is their sum.
    assert total["2022 年支出"] == pytest.approx(
        subtotal_1["2022 年支出"] + subtotal_2["2022 年支出"], abs=0.11
    )
    assert total["2024 年估计"] == pytest.approx(
        subtotal_1["2024 年估计(重计费用前)"] + subtotal_2["2024 年估计"], abs=0.11
    )


@pytest.mark.parametrize("tid", PARTED)
def test_printed_csv_keeps_the_cells_as_printed(app: TestClient, by_id: dict[str, Passage], tid: str) -> None:
    table = _table(by_id, tid)
    df = pd.read_csv(
        io.BytesIO(app.get(f"/tables/{tid}.csv", params={"printed": "true"}).content),
        encoding="utf-8-sig",
        dtype=str,
        keep_default_na=False,
    )
    rows = [r for r in table.rows if r.kind in ("data", "section")]
    assert df[table.stub].tolist() == [r.label for r in rows]
    columns = {c.index: c for c in table.columns}
    for k, r in enumerate(rows):
        assert all(df.iloc[k][columns[c.col].label] == c.raw for c in r.cells)
    assert "(278.2)" in df.to_numpy() or tid != "表4.24"


def test_every_aligned_table_with_row_labels_reads_as_numbers(
    app: TestClient, by_id: dict[str, Passage]
) -> None:
    tables = [p.table for p in by_id.values() if p.table and p.table.aligned and p.table.stub is not None]
    assert len(tables) > 10
    for table in tables:
        df = _csv(app, table.id)
        values = [c for c in df.columns if c not in ("part", table.stub or "label", "unit")]
        assert values and all(pd.api.types.is_numeric_dtype(df[c]) for c in values), (table.id, df.dtypes)


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/tables/表4.24.csv?printed=maybe", 422, "printed"),
        ("/tables/表4.12.csv", 409, "表4.12"),
        ("/tables/4.88.csv", 404, "not a table"),
        ("/tables/A%2F77%2F7%2C%20表4.24.csv", 404, "A/78/6 (Sect. 4)"),
    ],
)
def test_csv_bad_requests_say_what_to_fix(app: TestClient, path: str, status: int, says: str) -> None:
    r = app.get(path)
    assert r.status_code == status and says in str(r.json()["detail"])


def test_csv_of_a_pasted_citation(app: TestClient) -> None:
    r = app.get("/tables/" + quote(cite_zh(DEFAULT_SYMBOL, "表4.24")) + ".csv")
    assert r.status_code == 200 and "UTF-8''表4.24.csv" in unquote(r.headers["content-disposition"])


# ---------------------------------------------------------------- citations round-trip


def _forms(p: Passage) -> dict[str, str]:
    return {
        "cite_zh": cite_zh(p.doc, p.id),
        "cite_en": cite_en(p.doc, p.id),
        "label_zh": label_zh(p.id),
        "label_en": label_en(p.id),
    }


def test_every_citation_of_every_passage_parses_back(passages: tuple[Passage, ...]) -> None:
    assert {p.kind for p in passages} == {"paragraph", "item", "table", "figure", "foreword", "annex"}
    failures = []
    for p in passages:
        for name, form in _forms(p).items():
            try:
                doc, pid = parse_citation(form)
            except InvalidId as exc:
                failures.append((p.id, name, form, str(exc)))
                continue
            expected_doc = p.doc if name.startswith("cite") else None
            if (doc, pid) != (expected_doc, p.id) or parse_id(form) != p.id:
                failures.append((p.id, name, form, f"{doc} {pid}"))
    assert failures == [], failures[:5]


def test_every_citation_of_every_passage_resolves_through_the_api(
    app: TestClient, passages: tuple[Passage, ...]
) -> None:
    failures = []
    for p in passages:
        for name, form in _forms(p).items():
            r = app.get("/passages/" + quote(form))
            if r.status_code != 200 or r.json()["id"] != p.id:
                failures.append((p.id, name, form, r.status_code))
    assert failures == [], failures[:5]


@pytest.mark.parametrize("tid", PARTED)
@pytest.mark.parametrize("part", [1, 2])
def test_a_part_keeps_its_part(app: TestClient, tid: str, part: int) -> None:
    body = app.get("/passages/" + quote(f"{tid[0]} {tid[1:]} ({part})")).json()
    assert body["focus"]["kind"] == "part" and body["focus"]["part"].startswith(f"({part}) ")
    assert body["label_zh"] == label_zh(tid, part) == f"表 {tid[1:]} ({part})"
    assert body["label_en"] == label_en(tid, part) == f"table {tid[1:]} ({part})"
    assert body["cite_zh"] == f"{DEFAULT_SYMBOL}，表 {tid[1:]} ({part})"
    assert body["cite_en"] == f"{DEFAULT_SYMBOL}, table {tid[1:]} ({part})"
    # Pasted back, each names the same part of the same table.
    for form in ("cite_zh", "cite_en", "label_zh", "label_en"):
        ref = parse_table_ref(body[form])
        assert ref is not None and (ref.table, ref.part) == (tid, part)
        again = app.get("/passages/" + quote(body[form])).json()
        assert again["id"] == tid and again["focus"]["part"] == body["focus"]["part"]
        assert again[form] == body[form]


def test_a_row_or_cell_of_a_part_is_cited_with_its_part(app: TestClient, by_id: dict[str, Passage]) -> None:
    table = _table(by_id, "表4.24")
    for row in table.rows:
        body = app.get(f"/passages/{row.id}").json()
        m = re.match(r"^\((\d)\) ", row.part or "")
        expected = f"表 4.24 ({m[1]})" if m else "表 4.24"  # the total across parts cites the whole table
        assert body["label_zh"] == expected, row.id
        if row.cells:
            assert app.get(f"/passages/{row.cells[0].id}").json()["label_zh"] == expected
    # The whole table, as ever, without a part.
    assert app.get("/passages/表4.24").json()["cite_en"] == f"{DEFAULT_SYMBOL}, table 4.24"


def test_a_citation_of_another_document_is_not_this_one(app: TestClient) -> None:
    r = app.get("/passages/" + quote("A/77/7, para. 4.88"))
    assert r.status_code == 404 and "A/77/7" in r.json()["detail"] and DEFAULT_SYMBOL in r.json()["detail"]
    r = app.get("/passages/" + quote("a/78/6(sect.4), para. 4.88"))  # the symbol as typed in a hurry
    assert r.status_code == 200 and r.json()["id"] == "4.88"
    # A doc= the service does not hold is refused before the citation is read.
    r = app.get("/passages/" + quote(f"{DEFAULT_SYMBOL}, para. 4.88"), params={"doc": "A/77/7"})
    assert r.status_code == 404 and "A/77/7" in r.json()["detail"]


def test_text_that_is_no_id_still_says_the_forms(passages: tuple[Passage, ...]) -> None:
    for text in ("A/78/6 (Sect. 4)，第 4.88 (bb) 段", "A/78/6 (Sect. 4)", "A/RES/77/71"):
        with pytest.raises(InvalidId, match=re.escape(repr(text))):
            parse_citation(text)


# ---------------------------------------------------------------- resolutions


RESOLUTION_FORMS = [
    "resolution 77/71",
    "GA resolution 77/71",
    "General Assembly resolution 77/71",
    "A/RES/77/71",
    "第77/71号决议",
    "大会第77/71号决议",
    "大会第 77/71 号决议",
    "ＧＡ resolution ７７/７１",
]


@pytest.mark.parametrize("typed", RESOLUTION_FORMS)
def test_a_resolution_by_any_name(typed: str) -> None:
    import unicodedata

    assert parse_symbol(unicodedata.normalize("NFKC", typed)) == "77/71"


@pytest.mark.parametrize(
    ("typed", "symbol"),
    [
        ("Security Council resolution 1325 (2000)", "1325 (2000)"),
        ("安全理事会第1325(2000)号决议", "1325 (2000)"),
        ("安理会第 1325 (2000) 号决议", "1325 (2000)"),
        ("第 77/512 号决定", "77/512"),
        ("decision 77/512", "77/512"),
        ("A/77/7", "A/77/7"),
        ("A/CONF.192/15", "A/CONF.192/15"),
    ],
)
def test_other_symbols_by_their_names(typed: str, symbol: str) -> None:
    assert parse_symbol(typed) == symbol


def test_references_answer_alike_for_every_name(app: TestClient) -> None:
    plain = app.get("/references/77/71").json()
    assert plain["passages"]
    for typed in RESOLUTION_FORMS:
        r = app.get("/references/" + quote(typed))
        assert r.status_code == 200, (typed, r.text)
        assert r.json() == plain, typed


# ---------------------------------------------------------------- on the real model (e2e)


@pytest.mark.e2e
def test_real_citations_round_trip_on_a_sample(
    real_client: TestClient, passages: tuple[Passage, ...]
) -> None:
    kinds: dict[str, list[Passage]] = {}
    for p in passages:
        kinds.setdefault(p.kind, []).append(p)
    # The first and last of each kind (the fast test above asks for every passage; this one stays well inside the
    # per-caller rate limit the real app keeps).
    sample = [
        p for group in kinds.values() for p in (group[:1] if len(group) == 1 else [group[0], group[-1]])
    ]
    for p in sample:
        for name, form in _forms(p).items():
            r = real_client.get("/passages/" + quote(form))
            assert r.status_code == 200, (form, r.text)
            assert r.json()["id"] == p.id and r.json()[name] == form, (p.id, name)


@pytest.mark.e2e
def test_real_csv_and_grid_of_4_24(real_client: TestClient) -> None:
    df = pd.read_csv(io.BytesIO(real_client.get("/tables/表4.24.csv").content), encoding="utf-8-sig")
    assert pd.api.types.is_numeric_dtype(df["2022 年支出"]) and df["part"].iloc[-1] == TOTAL
    rows = real_client.get("/passages/表4.24").json()["table"]["rows"]
    assert next(r for r in rows if r["label"] == "共计")["part"] == TOTAL
    assert real_client.get("/references/" + quote("GA resolution 77/71")).json()["symbol"] == "77/71"
