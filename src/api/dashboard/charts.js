// Plain-SVG charts for the dashboard: a time-series line chart and a horizontal bar chart.
// No library, no CDN. Text goes in through textContent only.

const NS = 'http://www.w3.org/2000/svg';

export function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** 1234 → "1.2k"; 0.5 → "0.5". */
export function fmt(v) {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  if (a >= 10 || v === 0) return String(Math.round(v));
  return v.toFixed(1);
}

/** Round up to 1, 2, 2.5 or 5 × 10^k. */
function niceStep(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Time ticks: about five, on round seconds or minutes. */
function timeStep(spanMs) {
  for (const s of [5_000, 10_000, 15_000, 30_000, 60_000, 120_000]) if (spanMs / s <= 6) return s;
  return 300_000;
}

function ago(ms) {
  return ms >= 60_000 ? `-${Math.round(ms / 60_000)}m` : `-${Math.round(ms / 1000)}s`;
}

/**
 * series: [{ name, color, points: [{ t, v }] }]. The time axis covers the data seen so far, from
 * 30 s up to `maxSpanMs`.
 */
export function lineChart(svg, series, { maxSpanMs = 300_000, now = Date.now() } = {}) {
  clear(svg);
  const W = 480;
  const H = 180;
  const L = 40;
  const R = 8;
  const T = 22;
  const B = 20;
  const first = Math.min(now, ...series.flatMap((s) => s.points.map((p) => p.t)));
  const spanMs = Math.min(maxSpanMs, Math.max(30_000, now - first));
  const all = series.flatMap((s) => s.points.filter((p) => p.t >= now - spanMs));
  const top = Math.max(0, ...all.map((p) => p.v));
  const step = niceStep(top / 4);
  const max = step * Math.max(1, Math.ceil(top / step));
  const x = (t) => L + ((t - (now - spanMs)) / spanMs) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  for (let v = 0; v <= max + step / 2; v += step) {
    svg.append(el('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    svg.append(el('text', { class: 'axis', x: L - 5, y: y(v) + 3, 'text-anchor': 'end' }, fmt(v)));
  }
  const ts = timeStep(spanMs);
  for (let back = ts; back <= spanMs; back += ts) {
    svg.append(el('text', { class: 'axis', x: x(now - back), y: H - 5, 'text-anchor': 'middle' }, ago(back)));
  }
  if (all.length === 0) {
    svg.append(el('text', { class: 'empty', x: (L + W) / 2, y: H / 2, 'text-anchor': 'middle' }, 'waiting for data…'));
  }
  let lx = L;
  for (const s of series) {
    const pts = s.points.filter((p) => p.t >= now - spanMs);
    if (pts.length > 0) {
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
      if (s.area) {
        const a = `${d}L${x(pts[pts.length - 1].t).toFixed(1)},${y(0)}L${x(pts[0].t).toFixed(1)},${y(0)}Z`;
        svg.append(el('path', { class: 'area', d: a, fill: s.color }));
      }
      svg.append(el('path', { class: 'line', d, stroke: s.color, 'data-series': s.name }));
    }
    svg.append(el('rect', { x: lx, y: 6, width: 10, height: 4, rx: 1, fill: s.color }));
    const label = el('text', { class: 'legend', x: lx + 14, y: 11 }, s.name);
    svg.append(label);
    lx += 22 + s.name.length * 5.6;
  }
}

/**
 * items: [{ label, value (0-1 → bar length), text (shown right of the bar) }], top to bottom.
 */
export function barChart(svg, items, { width = 520, rowH = 26, labelW = 130 } = {}) {
  clear(svg);
  const H = Math.max(rowH, items.length * rowH + 4);
  svg.setAttribute('viewBox', `0 0 ${width} ${H}`);
  svg.setAttribute('height', String(H));
  const barW = width - labelW - 70;
  if (items.length === 0) {
    svg.append(el('text', { class: 'value', x: 0, y: 16 }, 'no interests yet'));
    return;
  }
  items.forEach((it, i) => {
    const y = 2 + i * rowH;
    const label = it.label.length > 18 ? `${it.label.slice(0, 17)}…` : it.label;
    svg.append(el('text', { class: 'label', x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end' }, label));
    svg.append(el('rect', { class: 'track', x: labelW, y: y + 4, width: barW, height: rowH - 8, rx: 4 }));
    const w = Math.max(2, Math.min(1, Math.max(0, it.value)) * barW);
    const bar = el('rect', { class: 'bar', x: labelW, y: y + 4, width: w.toFixed(1), height: rowH - 8, rx: 4, 'data-label': it.label, 'data-value': it.value });
    bar.append(el('title', {}, `${it.label}: ${it.text}`));
    svg.append(bar);
    svg.append(el('text', { class: 'value', x: labelW + barW + 8, y: y + rowH / 2 + 4 }, it.text));
  });
}
