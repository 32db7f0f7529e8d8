"""What a page shows cut at the browser's width, read from the page itself: each table's
columns (from the grid's own column list, as Streamlit's glide data grid is drawn on a canvas)
with their left edge, width and the width their header and first rows need, and the metric
labels, buttons and placeholders whose text is wider than their box."""

from __future__ import annotations

from typing import Any

MEASURE_JS = r"""() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const textWidth = (font, text) => { ctx.font = font; return ctx.measureText(text).width; };
  const gridProps = (canvas) => {
    const key = Object.keys(canvas).find(k => k.startsWith('__reactFiber'));
    for (let f = canvas[key]; f; f = f.return) {
      const p = f.memoizedProps;
      if (p && Array.isArray(p.columns) && p.getCellContent) return p;
    }
    return null;
  };
  const tables = [];
  document.querySelectorAll('[data-testid="stDataFrame"]').forEach(frame => {
    const canvas = frame.querySelector('canvas[data-testid="data-grid-canvas"]');
    const props = canvas && gridProps(canvas);
    if (!props) return;
    const font = getComputedStyle(canvas).font || '14px sans-serif';
    let left = props.rowMarkers && props.rowMarkers !== 'none' ? (props.rowMarkerWidth || 0) : 0;
    const columns = props.columns.map((c, i) => {
      let need = textWidth(font, c.title || '') + 16;
      for (let r = 0; r < Math.min(props.rows, 5); r++) {
        const cell = props.getCellContent([i, r]);
        const text = cell && (cell.data?.displayDate ?? cell.displayData ?? cell.data);
        if (typeof text === 'string' && text.length <= 20) need = Math.max(need, textWidth(font, text) + 16);
      }
      const column = {title: c.title, left: left, width: c.width, need: Math.ceil(need)};
      left += c.width;
      return column;
    });
    tables.push({width: canvas.getBoundingClientRect().width, columns});
  });
  const cut = (el) => el.scrollWidth > el.clientWidth + 1;
  const metrics = [...document.querySelectorAll('[data-testid="stMetricLabel"]')]
    .filter(m => [m, ...m.querySelectorAll('*')].some(cut)).map(m => m.textContent);
  const buttons = [...document.querySelectorAll('button')]
    .filter(b => b.offsetParent !== null && [...b.querySelectorAll('p, div')].some(cut))
    .map(b => b.textContent);
  const placeholders = [...document.querySelectorAll('input[placeholder], textarea[placeholder]')]
    .filter(i => i.offsetParent !== null && i.placeholder &&
      textWidth(getComputedStyle(i).font, i.placeholder) >
        i.clientWidth - parseFloat(getComputedStyle(i).paddingLeft) - parseFloat(getComputedStyle(i).paddingRight) + 1)
    .map(i => i.placeholder);
  return {tables, metrics, buttons, placeholders};
}"""


def measure(page: Any) -> dict[str, Any]:
    """The page's tables, and its cut metric labels, buttons and placeholders."""
    return page.evaluate(MEASURE_JS)


def cut_columns(tables: list[dict[str, Any]], essential: set[str]) -> list[str]:
    """The essential columns of `tables` that are not fully visible or narrower than their
    header and first rows: 'split (left 820 + width 75 > table 818)'."""
    found = []
    for table in tables:
        for c in table["columns"]:
            if c["title"] not in essential:
                continue
            if c["left"] + c["width"] > table["width"]:
                found.append(
                    f"{c['title']} (left {c['left']:.0f} + width {c['width']:.0f} > table "
                    f"{table['width']:.0f})"
                )
            elif c["width"] + 1 < c["need"]:
                found.append(f"{c['title']} (width {c['width']:.0f} < {c['need']} its text needs)")
    return found
