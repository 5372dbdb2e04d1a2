/** Hand-written SVG charts for the HTML report: no script, no external reference, every text escaped. */

/** Escapes text for HTML/SVG content and double- or single-quoted attributes. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number for an SVG attribute: finite, at most 2 decimals. */
function n(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0';
}

export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  return x.toFixed(digits);
}

/** Round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - d, hi + d, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // Integer multiples of the step, rounded to 12 significant digits (0.6, not 0.6000000000000001).
  const at = (k: number): number => Number((k * step).toPrecision(12));
  let k = Math.floor(lo / step + 1e-9);
  while (at(k) <= hi + step * 1e-9) out.push(at(k++));
  if (out[out.length - 1]! < hi) out.push(at(k));
  return out;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export interface Series {
  name: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

/** A line chart with markers, axes, grid and a legend. */
export function lineChart(series: Series[], o: { title: string; xLabel: string; yLabel: string; width?: number; height?: number; yMin?: number; yMax?: number }): string {
  const W = o.width ?? 560;
  // The legend sits under the plot (one row per series), where it cannot hide a line.
  const H = (o.height ?? 300) + 16 * series.length;
  const m = { l: 60, r: 16, t: 30, b: 46 + 16 * series.length };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xt = niceTicks(Math.min(...xs, 0), Math.max(...xs, 1));
  const yt = niceTicks(o.yMin ?? Math.min(...ys), o.yMax ?? Math.max(...ys));
  const [x0, x1] = [xt[0]!, xt[xt.length - 1]!];
  const [y0, y1] = [yt[0]!, yt[yt.length - 1]!];
  const X = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number): number => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<title>${esc(o.title)}</title>`);
  parts.push(`<text x="${n(W / 2)}" y="18" text-anchor="middle" class="ct">${esc(o.title)}</text>`);
  for (const t of yt) parts.push(`<line x1="${m.l}" x2="${n(m.l + pw)}" y1="${n(Y(t))}" y2="${n(Y(t))}" class="grid"/><text x="${m.l - 6}" y="${n(Y(t) + 4)}" text-anchor="end" class="tick">${esc(tickLabel(t))}</text>`);
  for (const t of xt) parts.push(`<line x1="${n(X(t))}" x2="${n(X(t))}" y1="${m.t}" y2="${n(m.t + ph)}" class="grid"/><text x="${n(X(t))}" y="${n(m.t + ph + 16)}" text-anchor="middle" class="tick">${esc(tickLabel(t))}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${n(pw)}" height="${n(ph)}" class="frame"/>`);
  parts.push(`<text x="${n(m.l + pw / 2)}" y="${n(m.t + ph + 34)}" text-anchor="middle" class="axis">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${n(m.t + ph / 2)}) rotate(-90)" text-anchor="middle" class="axis">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 1) {
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.map(([x, y]) => `${n(X(x))},${n(Y(y))}`).join(' ')}"/>`);
    }
    if (pts.length <= 60) for (const [x, y] of pts) parts.push(`<circle cx="${n(X(x))}" cy="${n(Y(y))}" r="3" fill="${c}"><title>${esc(`${s.name}: ${tickLabel(y)} at ${tickLabel(x)}`)}</title></circle>`);
    const ly = m.t + ph + 52 + i * 16;
    parts.push(`<line x1="${m.l}" x2="${m.l + 20}" y1="${n(ly)}" y2="${n(ly)}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${m.l + 26}" y="${n(ly + 4)}" class="legend">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Confusion matrix heatmap: rows true labels, columns predicted; colour = share of the row; counts written in. */
export function confusionHeatmap(labels: string[], matrix: number[][], title: string): string {
  const k = labels.length;
  const cell = Math.max(28, Math.min(80, Math.floor(480 / Math.max(k, 1))));
  const longest = Math.max(...labels.map((l) => Math.min(l.length, 20)));
  const labelW = Math.min(160, 12 + 7 * longest);
  // Column labels lie flat when they fit their cell, else they are turned.
  const flat = 7 * longest + 6 <= cell;
  const m = { l: labelW + 26, t: 40 + (flat ? 20 : labelW), r: 20, b: 20 };
  const W = Math.max(m.l + k * cell + m.r, Math.ceil(title.length * 7.6) + 20);
  const H = m.t + k * cell + m.b;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<title>${esc(title)}</title>`);
  parts.push(`<text x="${n(W / 2)}" y="18" text-anchor="middle" class="ct">${esc(title)}</text>`);
  parts.push(`<text x="${n(m.l + (k * cell) / 2)}" y="36" text-anchor="middle" class="axis">predicted label</text>`);
  parts.push(`<text transform="translate(12 ${n(m.t + (k * cell) / 2)}) rotate(-90)" text-anchor="middle" class="axis">true label</text>`);
  const short = (l: string): string => (l.length > 20 ? `${l.slice(0, 19)}…` : l);
  labels.forEach((l, j) => {
    const x = m.l + j * cell + cell / 2;
    parts.push(
      flat
        ? `<text x="${n(x)}" y="${m.t - 6}" text-anchor="middle" class="tick">${esc(short(l))}<title>${esc(l)}</title></text>`
        : `<text transform="translate(${n(x + 4)} ${m.t - 6}) rotate(-60)" class="tick">${esc(short(l))}<title>${esc(l)}</title></text>`,
    );
    parts.push(`<text x="${m.l - 6}" y="${n(m.t + j * cell + cell / 2 + 4)}" text-anchor="end" class="tick">${esc(short(l))}<title>${esc(l)}</title></text>`);
  });
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      const share = total > 0 ? v / total : 0;
      // Diagonal in blue, errors in red: the eye finds the confusions.
      const hue = i === j ? '31,119,180' : '214,39,40';
      const x = m.l + j * cell;
      const y = m.t + i * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgba(${hue},${n(0.08 + 0.85 * share)})" stroke="#fff"><title>${esc(`true ${labels[i]}, predicted ${labels[j]}: ${v} (${(share * 100).toFixed(1)}% of the row)`)}</title></rect>`);
      parts.push(`<text x="${n(x + cell / 2)}" y="${n(y + cell / 2 + 4)}" text-anchor="middle" class="${share > 0.55 ? 'cv light' : 'cv'}">${esc(String(v))}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Grouped bars: one group per class, one bar per measure, values in [0, 1]. */
export function groupedBars(groups: string[], measures: string[], values: number[][], title: string): string {
  const g = groups.length;
  const bw = 16;
  const gw = measures.length * bw + 18;
  const m = { l: 46, r: 16, t: 44, b: 70 };
  const pw = Math.max(g * gw, 200);
  const ph = 220;
  const W = m.l + pw + m.r;
  const H = m.t + ph + m.b;
  const Y = (v: number): number => m.t + ph - Math.max(0, Math.min(1, v)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<title>${esc(title)}</title>`);
  parts.push(`<text x="${n(W / 2)}" y="16" text-anchor="middle" class="ct">${esc(title)}</text>`);
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${n(Y(t))}" y2="${n(Y(t))}" class="grid"/><text x="${m.l - 6}" y="${n(Y(t) + 4)}" text-anchor="end" class="tick">${t.toFixed(1)}</text>`);
  }
  measures.forEach((name, j) => {
    const x = m.l + j * 90;
    parts.push(`<rect x="${x}" y="24" width="12" height="12" fill="${PALETTE[j % PALETTE.length]}"/><text x="${x + 16}" y="34" class="legend">${esc(name)}</text>`);
  });
  groups.forEach((label, i) => {
    const gx = m.l + i * gw + 9;
    measures.forEach((name, j) => {
      const v = values[i]![j]!;
      const y = Y(v);
      parts.push(`<rect x="${gx + j * bw}" y="${n(y)}" width="${bw - 2}" height="${n(m.t + ph - y)}" fill="${PALETTE[j % PALETTE.length]}"><title>${esc(`${label} ${name}: ${fmt(v)}`)}</title></rect>`);
    });
    const short = label.length > 16 ? `${label.slice(0, 15)}…` : label;
    parts.push(`<text transform="translate(${n(gx + (measures.length * bw) / 2)} ${m.t + ph + 14}) rotate(30)" class="tick">${esc(short)}<title>${esc(label)}</title></text>`);
  });
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" class="frame"/>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface RelBin {
  lower: number;
  upper: number;
  count: number;
  confidence: number | null;
  accuracy: number | null;
}

/** Reliability diagram: accuracy per confidence bin as bars, the diagonal of perfect calibration, counts above. */
export function reliabilityChart(bins: RelBin[], title: string): string {
  const W = 420;
  const H = 440;
  const m = { l: 56, r: 16, t: 40, b: 90 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const X = (v: number): number => m.l + v * pw;
  const Y = (v: number): number => m.t + ph - v * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<title>${esc(title)}</title>`);
  parts.push(`<text x="${n(W / 2)}" y="18" text-anchor="middle" class="ct">${esc(title)}</text>`);
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${n(Y(t))}" y2="${n(Y(t))}" class="grid"/><text x="${m.l - 6}" y="${n(Y(t) + 4)}" text-anchor="end" class="tick">${t.toFixed(1)}</text>`);
    parts.push(`<text x="${n(X(t))}" y="${m.t + ph + 16}" text-anchor="middle" class="tick">${t.toFixed(1)}</text>`);
  }
  for (const b of bins) {
    if (b.count === 0 || b.accuracy === null) continue;
    const x = X(b.lower);
    const w = X(b.upper) - x;
    parts.push(`<rect x="${n(x + 1)}" y="${n(Y(b.accuracy))}" width="${n(Math.max(1, w - 2))}" height="${n(m.t + ph - Y(b.accuracy))}" class="relbar"><title>${esc(`confidence (${b.lower.toFixed(2)}, ${b.upper.toFixed(2)}]: ${b.count} predictions, accuracy ${fmt(b.accuracy, 3)}, mean confidence ${fmt(b.confidence, 3)}`)}</title></rect>`);
    if (b.confidence !== null) parts.push(`<circle cx="${n(X(b.confidence))}" cy="${n(Y(b.confidence))}" r="2.5" class="relconf"/>`);
    parts.push(`<text x="${n(x + w / 2)}" y="${n(Y(b.accuracy) - 4)}" text-anchor="middle" class="count">${b.count}</text>`);
  }
  parts.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" class="diag"/>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" class="frame"/>`);
  parts.push(`<text x="${n(m.l + pw / 2)}" y="${m.t + ph + 34}" text-anchor="middle" class="axis">confidence (probability of the predicted class)</text>`);
  parts.push(`<text transform="translate(14 ${n(m.t + ph / 2)}) rotate(-90)" text-anchor="middle" class="axis">accuracy in the bin</text>`);
  const ly = m.t + ph + 56;
  parts.push(`<line x1="${m.l}" x2="${m.l + 20}" y1="${ly}" y2="${ly}" class="diag"/><text x="${m.l + 26}" y="${ly + 4}" class="legend">perfect calibration</text>`);
  parts.push(`<rect x="${m.l + 150}" y="${ly - 6}" width="12" height="12" class="relbar"/><text x="${m.l + 168}" y="${ly + 4}" class="legend">accuracy of the bin</text>`);
  parts.push(`<circle cx="${m.l + 10}" cy="${ly + 20}" r="2.5" class="relconf"/><text x="${m.l + 26}" y="${ly + 24}" class="legend">mean confidence of the bin; numbers: predictions per bin</text>`);
  parts.push('</svg>');
  return parts.join('');
}
