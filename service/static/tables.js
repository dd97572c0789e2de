/* A table passage as a real table: header rows from the column paths, row labels indented by level, the cell an
 * answer cites marked. Contract (GET /passages/表4.24 → `table`):
 *   {id, caption, unit, aligned, note, columns: [{index, path: [str]}],
 *    rows: [{id, index, label, level, parent, part, start, end, cells: [{id, row, col, raw, value, unit, start, end}]}]}
 * Anything else (no `table`, `aligned: false`, a malformed shape) returns null and the caller shows the text.
 */

import { h, label } from "./dom.js";

function isTable(table) {
  return (
    table &&
    typeof table === "object" &&
    table.aligned === true &&
    Array.isArray(table.columns) &&
    table.columns.length > 0 &&
    Array.isArray(table.rows) &&
    table.rows.length > 0
  );
}

function pathOf(column) {
  const path = Array.isArray(column.path) ? column.path.filter((p) => typeof p === "string") : [];
  return path.length ? path : [""];
}

/** Header rows: one per path level; equal consecutive prefixes merge into one cell (colspan), a short path's
 * last heading spans the levels below it (rowspan). */
export function headerRows(columns) {
  const paths = columns.map(pathOf);
  const depth = Math.max(...paths.map((p) => p.length));
  const rows = [];
  for (let level = 0; level < depth; level++) {
    const cells = [];
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i];
      if (path.length <= level) continue; // covered by a rowspan from above
      const key = JSON.stringify(path.slice(0, level + 1));
      const last = cells[cells.length - 1];
      const leaf = level === path.length - 1;
      if (last && last.key === key && !leaf && !last.leaf) {
        last.colspan += 1;
        continue;
      }
      cells.push({ key, text: path[level], colspan: 1, rowspan: leaf ? depth - level : 1, leaf });
    }
    rows.push(cells);
  }
  return rows;
}

// "2023 年", "2024 年估计": a year and its 年 never break apart (a narrow column wrapped them as "20 / 23 / 年").
const YEAR_RE = /(\d{4}\s*年)/;

/** A header's text as nodes: the year parts kept on one line, the rest free to wrap. */
export function headerNodes(text) {
  return String(text)
    .split(YEAR_RE)
    .filter(Boolean)
    .map((part) => (YEAR_RE.test(part) ? h("span", { class: "nowrap", text: part }) : document.createTextNode(part)));
}

function cellText(cell) {
  if (typeof cell.raw === "string") return cell.raw;
  return cell.value == null ? "" : String(cell.value);
}

/** The <table> for `table`, with `cellId` (e.g. "表4.6/r1/c2") or the rows overlapping `quoteRange` marked;
 * null when the table cannot be shown as one. */
export function renderTable(table, { cellId = null, quoteRange = null } = {}) {
  if (!isTable(table)) return null;
  const columns = [...table.columns].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const header = headerRows(columns);
  const el = h("table", { class: "data-table", dataset: { testid: "passage-table", id: table.id } });
  if (typeof table.caption === "string" && table.caption) {
    const caption = h("caption", null, table.caption);
    if (typeof table.unit === "string" && table.unit) caption.append(h("span", { class: "table-unit", text: ` (${table.unit})` }));
    el.append(caption);
  }
  const thead = h("thead");
  header.forEach((cells, level) => {
    const tr = h("tr");
    if (level === 0) tr.append(h("th", { class: "corner", attrs: { scope: "col", rowspan: header.length } }));
    for (const c of cells) {
      const th = h("th", { attrs: { scope: "col", colspan: c.colspan > 1 ? c.colspan : null, rowspan: c.rowspan > 1 ? c.rowspan : null } });
      th.append(...headerNodes(c.text));
      tr.append(th);
    }
    thead.append(tr);
  });
  el.append(thead);

  const tbody = h("tbody");
  let part = null;
  let hit = null;
  for (const row of table.rows) {
    if (!row || typeof row !== "object") continue;
    if (row.part != null && row.part !== part) {
      part = row.part;
      // The part's name in the (sticky) label column, so it stays in view when the figures scroll sideways.
      tbody.append(
        h("tr", { class: "part-row" }, h("th", { attrs: { scope: "rowgroup" }, text: String(part) }), h("td", { attrs: { colspan: columns.length } })),
      );
    }
    const cells = Array.isArray(row.cells) ? row.cells : [];
    const byCol = new Map(cells.filter((c) => c && Number.isInteger(c.col)).map((c) => [c.col, c]));
    const level = Number.isInteger(row.level) ? Math.max(0, Math.min(row.level, 6)) : 0;
    const rowHit =
      (cellId && cells.some((c) => c && c.id === cellId)) ||
      (!cellId && quoteRange && Number.isInteger(row.start) && Number.isInteger(row.end) && row.start < quoteRange[1] && quoteRange[0] < row.end);
    const tr = h("tr", { class: rowHit ? "row-hit" : null, dataset: { id: row.id } });
    tr.append(h("th", { class: `row-label level-${level}`, attrs: { scope: "row" }, text: typeof row.label === "string" ? row.label : "" }));
    for (const column of columns) {
      const cell = byCol.get(column.index);
      const td = h("td", { dataset: cell ? { id: cell.id } : null });
      if (cell) {
        if (cellId && cell.id === cellId) {
          td.className = "cell-hit";
          td.append(h("mark", { class: "quote", text: cellText(cell), dataset: { testid: "passage-quote" } }));
          hit = td;
        } else td.textContent = cellText(cell);
      }
      tr.append(td);
    }
    if (rowHit && !hit) hit = tr;
    tbody.append(tr);
  }
  el.append(tbody);
  const wrap = h("div", { class: "table-wrap", attrs: { tabindex: "0", role: "region", "aria-label": table.caption || table.id || "" } }, el);
  if (typeof table.note === "string" && table.note) wrap.append(h("p", { class: "table-note", text: table.note }));
  return { node: wrap, hit };
}

/** Once `wrap` is in the page: how tall the sticky header rows are and how wide the sticky label column is, so
 * that scrolling a row into view stops below the header and beside the labels (CSS scroll-padding reads them). */
export function measureTable(wrap) {
  const head = wrap.querySelector("thead");
  const labelCell = wrap.querySelector("tbody .row-label");
  if (head) wrap.style.setProperty("--thead-height", `${Math.ceil(head.getBoundingClientRect().height) + 4}px`);
  if (labelCell) wrap.style.setProperty("--label-width", `${Math.ceil(labelCell.getBoundingClientRect().width)}px`);
}

export function tableFallbackNote() {
  return label("p", "tableFallback", "table-fallback");
}
