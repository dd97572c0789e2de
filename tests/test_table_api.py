"""Tables through the API: a table passage's grid, a row's or cell's focus and the CSV, worked out by hand on the
tiny document (tests/data/tiny.zh.txt), and a few calls on the real one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.settings import Settings
from tests.tiny import build_tiny_index, tiny_client

# ---------------------------------------------------------------- API on the tiny document


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings: Settings = build_tiny_index(tmp_path_factory.mktemp("tiny-tables") / "index")
    with tiny_client(settings) as c:
        yield c


def test_api_table_passage_has_its_grid(tiny: TestClient) -> None:
    body = tiny.get("/passages/表9.1").json()
    table = body["table"]
    assert table["aligned"] is True and table["unit"] == "千美元" and table["stub"] == "次级方案"
    assert [c["path"] for c in table["columns"]] == [["2023 年", "批款"], ["2024 年估计(重计费用前)"]]
    row = table["rows"][1]
    assert row["id"] == "表9.1/r2" and row["label"] == "2. 海洋科学"
    assert [(c["id"], c["raw"], c["value"], c["unit"]) for c in row["cells"]] == [
        ("表9.1/r2/c1", "3 456.7", 3456.7, "千美元"),
        ("表9.1/r2/c2", "4 567.8", 4567.8, "千美元"),
    ]
    assert "focus" not in body


def test_api_a_paragraph_has_no_table_fields(tiny: TestClient) -> None:
    assert "table" not in tiny.get("/passages/9.2").json()


@pytest.mark.parametrize(
    "typed", ["表9.1/r2/c1", "table 9.1/r2/c1", "表 9.1 / r2 / c1", "Table 9.1/row2/col1"]
)
def test_api_cell_id_resolves_with_its_focus(tiny: TestClient, typed: str) -> None:
    body = tiny.get(f"/passages/{typed}").json()
    assert body["id"] == "表9.1" and body["kind"] == "table"
    focus = body["focus"]
    assert focus["id"] == "表9.1/r2/c1" and focus["kind"] == "cell"
    assert (focus["row_label"], focus["column_path"], focus["raw"], focus["value"], focus["unit"]) == (
        "2. 海洋科学",
        ["2023 年", "批款"],
        "3 456.7",
        3456.7,
        "千美元",
    )
    assert focus["quote"] == "2. 海洋科学 | 3 456.7 | 4 567.8"
    assert body["text"][focus["start"] : focus["end"]] == focus["quote"]
    assert body["text"][focus["cell_start"] : focus["cell_end"]] == focus["raw"]


def test_api_row_id_resolves(tiny: TestClient) -> None:
    focus = tiny.get("/passages/表9.1/r1").json()["focus"]
    assert (
        focus["kind"] == "row"
        and focus["col"] is None
        and focus["quote"] == "1. 海洋养护 | 1 234.5 | 2 345.6"
    )


@pytest.mark.parametrize("typed", ["表9.1/r9", "表9.1/r1/c7", "表9.2/r1"])
def test_api_unknown_row_or_cell_is_404_with_ids_that_exist(tiny: TestClient, typed: str) -> None:
    r = tiny.get(f"/passages/{typed}")
    assert r.status_code == 404
    assert "表9.1" in r.json()["detail"] or "nearest" in r.json()["detail"]


def test_api_csv_export(tiny: TestClient) -> None:
    r = tiny.get("/tables/表9.1.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    # One header row (the column paths joined, no part: this table has none), then figures as numbers.
    assert rows == [
        ["次级方案", "unit", "2023 年批款", "2024 年估计(重计费用前)"],
        ["1. 海洋养护", "千美元", "1234.5", "2345.6"],
        ["2. 海洋科学", "千美元", "3456.7", "4567.8"],
    ]
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    printed = list(
        csv.reader(io.StringIO(tiny.get("/tables/表9.1.csv?printed=1").content.decode("utf-8-sig")))
    )
    assert printed[1:] == [
        ["1. 海洋养护", "千美元", "1 234.5", "2 345.6"],
        ["2. 海洋科学", "千美元", "3 456.7", "4 567.8"],
    ]


@pytest.mark.parametrize(("typed", "status"), [("表9.7", 404), ("9.2", 404)])
def test_api_csv_of_no_table(tiny: TestClient, typed: str, status: int) -> None:
    r = tiny.get(f"/tables/{typed}.csv")
    assert r.status_code == status and r.json()["detail"]


# ---------------------------------------------------------------- on the real document


@pytest.mark.e2e
def test_real_cell_of_4_6(real_client: TestClient) -> None:
    body = real_client.get("/passages/表4.6").json()
    row = next(r for r in body["table"]["rows"] if r["label"].startswith("实质性会议服务"))
    cell = real_client.get(f"/passages/{row['id']}/c2").json()["focus"]
    assert (cell["raw"], cell["column_path"], cell["unit"]) == ("222", ["2022 年", "实际"], "3 小时会议次数")
    assert cell["quote"] in body["text"]


@pytest.mark.e2e
def test_real_part_of_4_24(real_client: TestClient) -> None:
    focus = real_client.get("/passages/表 4.24 (2)").json()["focus"]
    assert focus["kind"] == "part" and focus["part"] == "(2) 预算外"


@pytest.mark.e2e
def test_real_csv_and_unaligned(real_client: TestClient) -> None:
    r = real_client.get("/tables/table 4.24.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["part", "构成部分/次级方案", "unit"]
    assert any(row[:2] == ["(1) 经常预算", "3. 常规武器"] and "1612.2" in row for row in rows)
    assert rows[-1][:2] == ["(1)+(2) 共计", "共计"]
    r = real_client.get("/tables/表4.12.csv")
    assert r.status_code == 409 and "表4.12" in r.json()["detail"]
