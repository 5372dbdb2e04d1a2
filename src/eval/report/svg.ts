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

/** A single value (a point's tooltip): short, exponential only when very small or large. */
function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

/**
 * One format for every tick of an axis, so an axis never mixes "0.001" with "8.0e-4" or "1" with
 * "1.1": fixed-point with the fewest decimals that write every tick exactly, or, when the largest tick
 * is below 0.01 or from 1e5 up, exponential with the fewest mantissa digits (at least one) that do.
 * Zero is written "0" in exponential axes.
 */
export function tickFormat(ticks: readonly number[]): (v: number) => string {
  const finite = ticks.filter((v) => Number.isFinite(v));
  const maxAbs = Math.max(0, ...finite.map((v) => Math.abs(v)));
  const exact = (f: (v: number) => string): boolean => finite.every((v) => Math.abs(Number(f(v)) - v) <= 1e-9 * maxAbs);
  if (maxAbs >= 1e5 || (maxAbs > 0 && maxAbs < 1e-2)) {
    const exp = (d: number) => (v: number): string => (v === 0 ? '0' : v.toExponential(d));
    for (let d = 1; d < 6; d++) if (exact(exp(d))) return exp(d);
    return exp(6);
  }
  const fixed = (d: number) => (v: number): string => (v === 0 ? (0).toFixed(d) : v.toFixed(d));
  for (let d = 0; d < 8; d++) if (exact(fixed(d))) return fixed(d);
  return fixed(8);
}

// Estimated text widths (no layout engine here): px per character of the chart title (14px bold) and
// of the subtitle (12px), on the wide side so that text fits in DejaVu Sans as well as narrower fonts.
const TITLE_CHAR_PX = 8.4;
const SUBTITLE_CHAR_PX = 7;

/** Words of `text` in lines of at most `max` characters; a word longer than a line is cut. */
export function wrapText(text: string, max: number): string[] {
  const width = Math.max(4, Math.floor(max));
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (line !== '') lines.push(line);
      lines.push(word.slice(0, width));
      word = word.slice(width);
      line = '';
    }
    if (word === '') continue;
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The width a chart needs for its title and subtitle on one line each, capped at `max`. */
function headingWidth(title: string, subtitle: string | undefined, max: number): number {
  return Math.min(max, Math.ceil(Math.max(title.length * TITLE_CHAR_PX, (subtitle ?? '').length * SUBTITLE_CHAR_PX)) + 20);
}

/**
 * The chart's title and subtitle, centred and wrapped to the chart's width `W`, and the height they
 * take: a long split name goes to the subtitle and onto more lines instead of past the chart's edges.
 */
function heading(title: string, subtitle: string | undefined, W: number): { svg: string; height: number } {
  const parts: string[] = [];
  let y = 4;
  for (const line of wrapText(title, (W - 12) / TITLE_CHAR_PX)) {
    y += 16;
    parts.push(`<text x="${n(W / 2)}" y="${y - 2}" text-anchor="middle" class="ct">${esc(line)}</text>`);
  }
  for (const line of subtitle === undefined ? [] : wrapText(subtitle, (W - 12) / SUBTITLE_CHAR_PX)) {
    y += 15;
    parts.push(`<text x="${n(W / 2)}" y="${y - 3}" text-anchor="middle" class="sub">${esc(line)}</text>`);
  }
  return { svg: parts.join(''), height: y + 10 };
}

/** The accessible name and tooltip of a chart: title and subtitle together. */
function fullTitle(title: string, subtitle: string | undefined): string {
  return subtitle === undefined ? title : `${title} (${subtitle})`;
}

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export interface Series {
  name: string;
  points: Array<[number, number]>;
  /** Drawn dashed ("6 4"); otherwise the series' place in the chart picks its dash pattern. */
  dashed?: boolean;
}

/** Dash patterns by series position: lines that run together stay apart by pattern as well as colour. */
const DASHES = ['', '7 4', '2 3', '10 3 2 3', '12 5', '4 2 1 2 1 2'];
/** Sparse patterns for lines drawn over a coinciding one: long gaps, through which that one shows. */
const SPARSE = ['4 8', '1 5', '9 9', '2 5 6 5'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross'] as const;

/** A marker shape centred at (x, y); hollow ones are drawn larger, around a filled one they sit on. */
function marker(shape: (typeof MARKERS)[number], x: number, y: number, c: string, hollow: boolean, tip: string): string {
  const paint = hollow ? `fill="none" stroke="${c}" stroke-width="1.5"` : `fill="${c}"`;
  const r = hollow ? 5.5 : 3.5;
  const t = `<title>${esc(tip)}</title>`;
  const poly = (pts: Array<[number, number]>): string => `<polygon points="${pts.map(([a, b]) => `${n(x + a)},${n(y + b)}`).join(' ')}" ${paint}>${t}</polygon>`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${n(x)}" cy="${n(y)}" r="${hollow ? r : 3}" ${paint}>${t}</circle>`;
    case 'square':
      return `<rect x="${n(x - r * 0.85)}" y="${n(y - r * 0.85)}" width="${n(r * 1.7)}" height="${n(r * 1.7)}" ${paint}>${t}</rect>`;
    case 'triangle':
      return poly([[0, -r * 1.15], [r, r * 0.75], [-r, r * 0.75]]);
    case 'triangle-down':
      return poly([[0, r * 1.15], [r, -r * 0.75], [-r, -r * 0.75]]);
    case 'diamond':
      return poly([[0, -r * 1.2], [r, 0], [0, r * 1.2], [-r, 0]]);
    case 'cross':
      return `<path d="M${n(x - r)} ${n(y - r)}L${n(x + r)} ${n(y + r)}M${n(x - r)} ${n(y + r)}L${n(x + r)} ${n(y - r)}" stroke="${c}" stroke-width="2" fill="none">${t}</path>`;
  }
}

const finitePoints = (s: Series): Array<[number, number]> => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));

/**
 * For each series, the index of the first earlier series it coincides with (the same x values, and y
 * values equal to 1e-9 relative, at every point), or -1. On balanced data, for example, accuracy equals
 * macro recall and macro F1 equals weighted F1: drawn plainly, one line hides the other.
 */
export function coincidingSeries(series: readonly Series[]): number[] {
  const pts = series.map(finitePoints);
  const same = (a: Array<[number, number]>, b: Array<[number, number]>): boolean =>
    a.length > 0 &&
    a.length === b.length &&
    a.every(([x, y], k) => x === b[k]![0] && Math.abs(y - b[k]![1]) <= 1e-9 * Math.max(1, Math.abs(y), Math.abs(b[k]![1])));
  return pts.map((p, j) => pts.slice(0, j).findIndex((q) => same(p, q)));
}

/**
 * A line chart with markers, axes, grid and a legend. Every series has its own colour, dash pattern and
 * marker shape. A series that coincides with an earlier one is drawn thin and sparsely dashed over the
 * earlier one's wider line, with hollow, larger markers (the earlier one's show inside them), and says
 * so in its legend entry.
 */
export function lineChart(
  series: Series[],
  o: { title: string; subtitle?: string; xLabel: string; yLabel: string; width?: number; height?: number; yMin?: number; yMax?: number },
): string {
  const W = o.width ?? 560;
  const head = heading(o.title, o.subtitle, W);
  const same = coincidingSeries(series);
  // The legend sits under the plot (one row per series), where it cannot hide a line.
  const H = (o.height ?? 300) + 16 * series.length + head.height - 30;
  const m = { l: 60, r: 16, t: head.height, b: 46 + 16 * series.length };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = series.flatMap(finitePoints);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xt = niceTicks(Math.min(...xs, 0), Math.max(...xs, 1));
  const yt = niceTicks(o.yMin ?? Math.min(...ys), o.yMax ?? Math.max(...ys));
  const [xf, yf] = [tickFormat(xt), tickFormat(yt)];
  const [x0, x1] = [xt[0]!, xt[xt.length - 1]!];
  const [y0, y1] = [yt[0]!, yt[yt.length - 1]!];
  const X = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number): number => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const name = fullTitle(o.title, o.subtitle);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${n(H)}" viewBox="0 0 ${W} ${n(H)}" role="img" aria-label="${esc(name)}">`);
  parts.push(`<title>${esc(name)}</title>`, head.svg);
  for (const t of yt) parts.push(`<line x1="${m.l}" x2="${n(m.l + pw)}" y1="${n(Y(t))}" y2="${n(Y(t))}" class="grid"/><text x="${m.l - 6}" y="${n(Y(t) + 4)}" text-anchor="end" class="tick">${esc(yf(t))}</text>`);
  for (const t of xt) parts.push(`<line x1="${n(X(t))}" x2="${n(X(t))}" y1="${m.t}" y2="${n(m.t + ph)}" class="grid"/><text x="${n(X(t))}" y="${n(m.t + ph + 16)}" text-anchor="middle" class="tick">${esc(xf(t))}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${n(pw)}" height="${n(ph)}" class="frame"/>`);
  parts.push(`<text x="${n(m.l + pw / 2)}" y="${n(m.t + ph + 34)}" text-anchor="middle" class="axis">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${n(m.t + ph / 2)}) rotate(-90)" text-anchor="middle" class="axis">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    const hollow = same[i]! >= 0;
    const covered = same.includes(i);
    // Over a coinciding line: long gaps, so the line underneath (drawn wider) shows between the dashes.
    const dash = hollow ? SPARSE[same.slice(0, i).filter((k) => k >= 0).length % SPARSE.length]! : s.dashed ? '6 4' : DASHES[i % DASHES.length]!;
    const dashAttr = `${dash === '' ? '' : ` stroke-dasharray="${dash}"`} stroke-width="${covered && !hollow ? 4 : 2}"`;
    const shape = MARKERS[i % MARKERS.length]!;
    const pts = finitePoints(s);
    if (pts.length > 1) {
      parts.push(`<polyline fill="none" stroke="${c}"${dashAttr} points="${pts.map(([x, y]) => `${n(X(x))},${n(Y(y))}`).join(' ')}"/>`);
    }
    if (pts.length <= 60) for (const [x, y] of pts) parts.push(marker(shape, X(x), Y(y), c, hollow, `${s.name}: ${tickLabel(y)} at ${tickLabel(x)}`));
    const ly = m.t + ph + 52 + i * 16;
    const label = hollow ? `${s.name} (same values as ${series[same[i]!]!.name}: the lines coincide)` : s.name;
    parts.push(
      `<line x1="${m.l}" x2="${m.l + 30}" y1="${n(ly)}" y2="${n(ly)}" stroke="${c}"${dashAttr}/>` +
        marker(shape, m.l + 15, ly, c, hollow, s.name) +
        `<text x="${m.l + 38}" y="${n(ly + 4)}" class="legend">${esc(label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Confusion matrix heatmap: rows true labels, columns predicted; colour = share of the row; counts written in. */
export function confusionHeatmap(labels: string[], matrix: number[][], title: string, subtitle?: string): string {
  const k = labels.length;
  const cell = Math.max(28, Math.min(80, Math.floor(480 / Math.max(k, 1))));
  const longest = Math.max(...labels.map((l) => Math.min(l.length, 20)));
  const labelW = Math.min(160, 12 + 7 * longest);
  // Column labels lie flat when they fit their cell, else they are turned.
  const flat = 7 * longest + 6 <= cell;
  const W = Math.max(labelW + 26 + k * cell + 20, headingWidth(title, subtitle, 560));
  const head = heading(title, subtitle, W);
  const m = { l: labelW + 26, t: head.height + 10 + (flat ? 20 : labelW), r: 20, b: 20 };
  const H = m.t + k * cell + m.b;
  const name = fullTitle(title, subtitle);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(name)}">`);
  parts.push(`<title>${esc(name)}</title>`, head.svg);
  parts.push(`<text x="${n(m.l + (k * cell) / 2)}" y="${head.height + 6}" text-anchor="middle" class="axis">predicted label</text>`);
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
export function groupedBars(groups: string[], measures: string[], values: number[][], title: string, subtitle?: string): string {
  const g = groups.length;
  const bw = 16;
  const gw = measures.length * bw + 18;
  // Wide enough for the title (up to 560 px; longer ones wrap) and the legend's row.
  const W = Math.max(46 + Math.max(g * gw, 200) + 16, headingWidth(title, subtitle, 560), 46 + 90 * measures.length);
  const head = heading(title, subtitle, W);
  const m = { l: 46, r: 16, t: head.height + 24, b: 70 };
  const pw = W - m.l - m.r;
  // The groups are centred in the plot when the title made it wider than they need.
  const gx0 = m.l + Math.max(0, (pw - g * gw) / 2);
  const ph = 220;
  const H = m.t + ph + m.b;
  const Y = (v: number): number => m.t + ph - Math.max(0, Math.min(1, v)) * ph;
  const name = fullTitle(title, subtitle);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(name)}">`);
  parts.push(`<title>${esc(name)}</title>`, head.svg);
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${n(Y(t))}" y2="${n(Y(t))}" class="grid"/><text x="${m.l - 6}" y="${n(Y(t) + 4)}" text-anchor="end" class="tick">${t.toFixed(1)}</text>`);
  }
  measures.forEach((name, j) => {
    const x = m.l + j * 90;
    parts.push(`<rect x="${x}" y="${head.height}" width="12" height="12" fill="${PALETTE[j % PALETTE.length]}"/><text x="${x + 16}" y="${head.height + 10}" class="legend">${esc(name)}</text>`);
  });
  groups.forEach((label, i) => {
    const gx = gx0 + i * gw + 9;
    measures.forEach((name, j) => {
      const v = values[i]![j]!;
      const y = Y(v);
      parts.push(`<rect x="${n(gx + j * bw)}" y="${n(y)}" width="${bw - 2}" height="${n(m.t + ph - y)}" fill="${PALETTE[j % PALETTE.length]}"><title>${esc(`${label} ${name}: ${fmt(v)}`)}</title></rect>`);
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
export function reliabilityChart(bins: RelBin[], title: string, subtitle?: string): string {
  const W = 420;
  const head = heading(title, subtitle, W);
  const m = { l: 56, r: 16, t: head.height + 10, b: 90 };
  const pw = W - m.l - m.r;
  const ph = 310;
  const H = m.t + ph + m.b;
  const X = (v: number): number => m.l + v * pw;
  const Y = (v: number): number => m.t + ph - v * ph;
  const parts: string[] = [];
  const name = fullTitle(title, subtitle);
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(name)}">`);
  parts.push(`<title>${esc(name)}</title>`, head.svg);
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
