/**
 * `lengua monitor`: model monitoring from the command line.
 *
 *   lengua monitor reference --model DIR --data FILE   computes the model's monitoring reference (label
 *       shares, confidence and input-length histograms, unknown-token rate) on a data file with the ONNX
 *       pipeline the server runs, and writes it into DIR/monitoring/reference.json;
 *   lengua monitor --url http://HOST:PORT              fetches the server's GET /monitoring and draws, per
 *       model, each distribution live next to its reference as text bars, with its PSI and a one-word
 *       verdict, and the live accuracy / macro-F1 from feedback (--watch SECONDS redraws; --json passes
 *       the JSON through).
 */
import { Command } from 'commander';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { LenguaError } from '../errors.js';
import { hashText, streamDataset, type Dataset, type Example, type RowSink } from '../data/index.js';
import { hashDataset } from '../eval/evaluate.js';
import { exportToOnnx, type ExportOptions } from '../export/index.js';
import { pipeline, registerOnnxExporter, type TextClassificationPipeline } from '../infer/index.js';
import { accuracyScore, f1Score } from '../metrics/index.js';
import {
  labelsOfConfig, ReferenceBuilder, REFERENCE_FILE, SNAPSHOT_FORMAT, tokenCounts, worstVerdict, writeReference,
  type DistributionView, type DriftVerdict, type ModelMonitoringView, type MonitoringReference, type MonitoringSnapshot, type ReferenceQuality,
} from '../serve/monitoring.js';
import { addDataOptions, dataLoadOptions, type DataFlags, intFlag } from './options.js';

// ---------------------------------------------------------------------------------------------------
// lengua monitor reference

interface ReferenceFlags extends DataFlags {
  model: string;
  data: string;
  out?: string;
  batchSize: string;
  json?: boolean;
}


/**
 * An order-independent fingerprint of texts: the sum modulo 2⁶⁴ of the first 64 bits of each text's
 * MurmurHash3 (src/data/hash.ts; a pair hashed as text NUL pair). The same texts in another order or
 * another file format give the same value, where the file's SHA-256 differs.
 */
export class TextsFingerprint {
  private sum = 0n;
  private readonly h = new Uint32Array(4);

  add(text: string, pair?: string): void {
    hashText(pair === undefined ? text : `${text}\u0000${pair}`, this.h);
    this.sum = (this.sum + ((BigInt(this.h[1]!) << 32n) | BigInt(this.h[0]!))) & 0xffffffffffffffffn;
  }

  get hex(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}

/** Texts per pipeline call: the pipeline sorts them by length into micro-batches, so more texts pad less. */
const CHUNK = 512;

/** Runs the data's texts through the classifier as the reader hands them on, a chunk at a time (memory stays flat). */
class ReferenceSink implements RowSink {
  private chunk: Example[] = [];
  readonly builder: ReferenceBuilder;
  readonly fingerprint = new TextsFingerprint();
  readonly truth: string[] = [];
  readonly predicted: string[] = [];
  /** Why quality is not computed (null while it still can be). */
  noQuality: string | null = null;
  skipped = 0;
  rows = 0;

  constructor(
    private readonly classifier: TextClassificationPipeline & TextClassificationPipeline['run'],
    private readonly labels: readonly string[],
  ) {
    this.builder = new ReferenceBuilder(labels);
  }

  example(e: Example): void {
    this.chunk.push(e);
  }

  skip(): void {
    this.skipped++;
  }

  pause(): Promise<void> | undefined {
    return this.chunk.length >= CHUNK ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    const chunk = this.chunk;
    this.chunk = [];
    if (chunk.length === 0) return;
    const outputs = await this.classifier(chunk.map((e) => (e.textPair === undefined ? e.text : { text: e.text, textPair: e.textPair })));
    const tok = this.classifier.tokenizer;
    chunk.forEach((e, i) => {
      const top = outputs[i]![0]!;
      this.builder.add({ label: top.label, score: top.score, ...tokenCounts(tok, e.text, e.textPair) });
      this.fingerprint.add(e.text, e.textPair);
      this.rows++;
      this.quality(e, top.label);
    });
  }

  /** Keeps (true, predicted) while every example has one label the model knows. */
  private quality(e: Example, predicted: string): void {
    if (this.noQuality !== null) return;
    if (typeof e.label !== 'string') {
      this.noQuality = e.label === undefined ? 'the data has no labels' : 'the data is multi-label';
    } else if (!this.labels.includes(e.label)) {
      this.noQuality = `label ${JSON.stringify(e.label)} (${e.source.file}:${e.source.line}) is not one of the model's (${this.labels.join(', ')})`;
    } else {
      this.truth.push(e.label);
      this.predicted.push(predicted);
      return;
    }
    this.truth.length = 0;
    this.predicted.length = 0;
  }

  qualityResult(): ReferenceQuality | null {
    if (this.noQuality !== null || this.truth.length === 0) return null;
    return {
      accuracy: accuracyScore(this.truth, this.predicted),
      macroF1: f1Score(this.truth, this.predicted, { average: 'macro', zeroDivision: 0 }) as number,
      count: this.truth.length,
    };
  }
}

export interface ReferenceRun {
  reference: MonitoringReference;
  file: string;
  notes: string[];
}

/** Computes a model's reference on a data file and writes it; the library form of `lengua monitor reference`. */
export async function computeReference(flags: ReferenceFlags): Promise<ReferenceRun> {
  const batchSize = intFlag(flags.batchSize, '--batch-size', 1, 4096);
  let isDir = false;
  try {
    isDir = statSync(flags.model).isDirectory();
  } catch {
    // A Hub id: resolved by the pipeline below.
  }
  if (!isDir && flags.out === undefined) throw new LenguaError(`${flags.model} is not a local folder (a Hub id?): say where the reference goes with --out FILE`, { field: '--model' });
  // A training folder is exported on the fly, as `lengua predict --engine onnx` does it.
  registerOnnxExporter(async (dir, out, { task }) => {
    await exportToOnnx(dir, out, { task: task as NonNullable<ExportOptions['task']> });
  });
  const notes: string[] = [];
  const classifier = await pipeline('text-classification', flags.model, { batchSize, log: (l) => notes.push(l.replace(/^note: /, '')) });
  try {
    const labels = labelsOfConfig(classifier.model.config);
    if (labels.length === 0) throw new LenguaError('config.json names no labels (id2label): cannot monitor its predictions', { file: flags.model, field: 'id2label' });
    const sink = new ReferenceSink(classifier, labels);
    const info = await streamDataset(flags.data, dataLoadOptions(flags), sink);
    await sink.flush();
    if (sink.rows === 0) throw new LenguaError('the data holds no texts', { file: flags.data });
    if (sink.skipped > 0) notes.push(`skipped ${sink.skipped} bad row(s) of ${flags.data}`);
    const hashes = hashDataset({ ...info, examples: [], skipped: [] } satisfies Dataset);
    const quality = sink.qualityResult();
    if (quality === null && sink.noQuality !== null) notes.push(`no reference accuracy: ${sink.noQuality}`);
    else if (quality !== null) notes.push('the reference accuracy is only meaningful on data the model did not train on');
    const reference = sink.builder.finish({ file: basename(flags.data), sha256: hashes.dataSha256, textsFingerprint: sink.fingerprint.hex, rows: sink.rows }, quality);
    const file = writeReference(reference, flags.out !== undefined ? { file: flags.out } : { dir: flags.model });
    if (classifier.model.exported && flags.out === undefined) {
      notes.push(`${flags.model} is a training folder: lengua export copies ${REFERENCE_FILE} from it, so export (again) after computing the reference`);
    }
    return { reference, file, notes };
  } finally {
    await classifier.dispose();
  }
}

function pct(v: number | null, digits = 1): string {
  return v === null ? '—' : `${(v * 100).toFixed(digits)}%`;
}

function describeReference(r: ReferenceRun): string {
  const ref = r.reference;
  const lines = [`wrote ${r.file}: ${ref.count.toLocaleString('en-US')} texts of ${ref.data.file} (sha256 ${ref.data.sha256.slice(0, 12)}…, texts fingerprint ${ref.data.textsFingerprint})`];
  lines.push(`labels:          ${ref.labels.names.map((l, i) => `${l} ${pct(ref.labels.counts[i]! / ref.count)}`).join(', ')}`);
  lines.push(`mean confidence: ${ref.meanConfidence === null ? '—' : ref.meanConfidence.toFixed(3)}`);
  lines.push(`unknown tokens:  ${pct(ref.tokens.total === 0 ? null : ref.tokens.unknown / ref.tokens.total, 2)} of ${ref.tokens.total.toLocaleString('en-US')} tokens`);
  if (ref.quality !== null) lines.push(`quality:         accuracy ${ref.quality.accuracy.toFixed(4)}, macro-F1 ${ref.quality.macroF1.toFixed(4)} on ${ref.quality.count.toLocaleString('en-US')} labelled texts`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// lengua monitor --url

interface ViewFlags {
  url?: string;
  key?: string;
  model?: string;
  watch?: string;
  json?: boolean;
  barWidth: string;
}

/** The largest /monitoring body read; a snapshot of a few models is a few kilobytes. */
const MAX_BODY_BYTES = 16 << 20;
const FETCH_TIMEOUT_MS = 10_000;

function monitoringUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LenguaError(`not a URL: ${JSON.stringify(url)} (expected http://HOST:PORT)`, { field: '--url' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LenguaError(`expected an http or https URL, got ${u.protocol}`, { field: '--url' });
  if (u.username !== '' || u.password !== '') throw new LenguaError('put the API key in LENGUA_API_KEY (or --key), not in the URL', { field: '--url' });
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/monitoring`;
  u.search = '';
  u.hash = '';
  return u;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Reads at most `max` bytes of a response body. */
async function readBody(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) throw new LenguaError(`the server sent ${declared} bytes; a monitoring snapshot is at most ${max}`, { field: '--url' });
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += c.byteLength;
    if (n > max) throw new LenguaError(`the server sent more than ${max} bytes; a monitoring snapshot is smaller`, { field: '--url' });
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GET /monitoring, with the key as a Bearer token; errors say what the server answered, never the key. */
export async function fetchSnapshot(url: string, key: string | undefined): Promise<MonitoringSnapshot> {
  const u = monitoringUrl(url);
  let res: Response;
  try {
    res = await fetch(u, { headers: { accept: 'application/json', ...(key !== undefined && key !== '' ? { authorization: `Bearer ${key}` } : {}) }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer in ${FETCH_TIMEOUT_MS / 1000} s` : e.cause?.code ?? e.cause?.message ?? e.message;
    throw new LenguaError(`cannot reach ${u.origin}: ${why}`, { field: '--url' }, { cause: err });
  }
  const text = await readBody(res, MAX_BODY_BYTES);
  if (!res.ok) {
    let detail = '';
    try {
      const j = JSON.parse(text) as { error?: unknown };
      if (typeof j.error === 'string') detail = `: ${clean(j.error).slice(0, 300)}`;
    } catch {
      // Not JSON: the status says enough.
    }
    const hint = res.status === 401 || res.status === 403 ? ' (give an API key that may read monitoring: LENGUA_API_KEY or --key)' : res.status === 404 ? ' (is monitoring enabled on this server?)' : '';
    throw new LenguaError(`${u.href} answered ${res.status}${detail}${hint}`, { field: '--url' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LenguaError(`${u.href} did not answer JSON`, { field: '--url' });
  }
  return checkSnapshot(json, u.href);
}

/** The checks a renderer needs: the shape, and every distribution's arrays of one length. */
export function checkSnapshot(json: unknown, source: string): MonitoringSnapshot {
  const bad = (field: string, what: string): never => {
    throw new LenguaError(`not a monitoring snapshot: ${what}`, { file: source, field });
  };
  const j = json as MonitoringSnapshot;
  if (typeof j !== 'object' || j === null || j.format !== SNAPSHOT_FORMAT) bad('format', `expected "${SNAPSHOT_FORMAT}"`);
  if (j.version !== 1) bad('version', `version ${JSON.stringify(j.version)} is not one this Lengua reads (1)`);
  if (!Array.isArray(j.models)) bad('models', 'expected an array');
  j.models.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || typeof m.model !== 'string' || typeof m.version !== 'string') bad(`models[${i}]`, 'expected {model, version, ...}');
    if (typeof m.window !== 'object' || m.window === null || typeof m.feedback !== 'object' || m.feedback === null) bad(`models[${i}]`, 'expected window and feedback');
    if (!Array.isArray(m.distributions) || !Array.isArray(m.warnings)) bad(`models[${i}].distributions`, 'expected an array');
    const numbers = (o: unknown, keys: string[], nullable: boolean, field: string): void => {
      const rec = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>;
      for (const key of keys) {
        const v = rec[key];
        if (!(typeof v === 'number' && Number.isFinite(v)) && !(nullable && v === null)) bad(`models[${i}].${field}.${key}`, `expected a number${nullable ? ' or null' : ''}`);
      }
    };
    numbers(m.window, ['capacity', 'count', 'total', 'invalid', 'otherLabels'], false, 'window');
    numbers(m.feedback, ['window', 'count', 'received', 'recorded', 'unknownRequest', 'duplicate', 'invalid'], false, 'feedback');
    numbers(m.feedback, ['accuracy', 'macroF1'], true, 'feedback');
    numbers(m.unknownTokenRate, ['live', 'reference'], true, 'unknownTokenRate');
    numbers(m.meanConfidence, ['live', 'reference'], true, 'meanConfidence');
    if (m.feedback.reference !== null) numbers(m.feedback.reference, ['accuracy', 'macroF1', 'count'], false, 'feedback.reference');
    if (m.reference !== null && (typeof m.reference !== 'object' || typeof m.reference.data !== 'object' || m.reference.data === null)) bad(`models[${i}].reference`, 'expected null or {createdAt, data, count}');
    m.distributions.forEach((d, k) => {
      const n = Array.isArray(d.bins) ? d.bins.length : -1;
      const counts = (c: unknown): boolean => Array.isArray(c) && c.length === n && c.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
      if (n < 0 || n > 100_000 || !counts(d.live) || (d.reference !== null && !counts(d.reference))) bad(`models[${i}].distributions[${k}]`, 'bins, live and reference must be arrays of one length');
      numbers(d, ['psi', 'noise'], true, `distributions[${k}]`);
      if (!Object.hasOwn(WORDS, d.verdict)) bad(`models[${i}].distributions[${k}].verdict`, `unknown verdict ${JSON.stringify(d.verdict)}`);
    });
  });
  return j;
}

/** Strips control characters (a label or model name from a server must not drive the terminal). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
function clean(s: unknown): string {
  return String(s).replace(CONTROL, '?');
}

function fit(s: string, width: number): string {
  const chars = [...s];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : s + ' '.repeat(width - chars.length);
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `share / scale` of `width` cells in eighths of a cell; a share above 0 shows at least an eighth. */
export function bar(share: number, scale: number, width: number): string {
  if (!(share > 0) || !(scale > 0)) return ' '.repeat(width);
  const eighths = Math.max(1, Math.round((Math.min(share, scale) / scale) * width * 8));
  const full = Math.floor(eighths / 8);
  const s = '█'.repeat(full) + EIGHTHS[eighths % 8]!;
  return s + ' '.repeat(width - [...s].length);
}

const COLORS: Record<DriftVerdict, string> = { stable: '\x1b[32m', moderate: '\x1b[33m', significant: '\x1b[31;1m', 'insufficient data': '\x1b[2m', 'no reference': '\x1b[2m' };
const WORDS: Record<DriftVerdict, string> = { stable: 'stable', moderate: 'MODERATE', significant: 'SIGNIFICANT', 'insufficient data': 'too few data', 'no reference': 'no reference' };

export interface RenderOptions {
  /** Cells per bar (default 20). */
  barWidth?: number;
  /** ANSI colours for the verdicts (default off). */
  color?: boolean;
}

function word(v: DriftVerdict, color: boolean): string {
  return color ? `${COLORS[v]}${WORDS[v]}\x1b[0m` : WORDS[v];
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

/** Most rows drawn for one distribution (a model with hundreds of labels shows its largest ones). */
const MAX_ROWS = 25;

function renderDistribution(d: DistributionView, width: number, color: boolean): string[] {
  const liveN = d.live.reduce((a, b) => a + b, 0);
  const refN = d.reference?.reduce((a, b) => a + b, 0) ?? 0;
  const share = (c: number, n: number): number => (n > 0 ? c / n : 0);
  const rows = d.bins.map((b, i) => ({ name: clean(b), live: share(d.live[i]!, liveN), ref: d.reference === null ? null : share(d.reference[i]!, refN) }));
  let shown = rows;
  if (d.name === 'labels' && rows.length > MAX_ROWS) shown = [...rows].sort((a, b) => Math.max(b.live, b.ref ?? 0) - Math.max(a.live, a.ref ?? 0)).slice(0, MAX_ROWS);
  const scale = Math.max(...rows.map((r) => Math.max(r.live, r.ref ?? 0)), 0);
  const nameWidth = Math.min(24, Math.max(8, ...shown.map((r) => [...r.name].length)));
  const psiText = d.psi === null ? '' : `, PSI ${d.psi.toFixed(3)}${d.noise !== null ? ` (noise ~${d.noise.toFixed(3)})` : ''}`;
  const cell = (s: number | null): string => (s === null ? fit('', width + 7) : `${bar(s, scale, width)} ${pct(s).padStart(6)}`);
  const out = [`  ${d.title}: ${word(d.verdict, color)}${psiText}`];
  out.push(`    ${' '.repeat(nameWidth)}  ${fit(d.reference === null ? '' : 'reference', width + 7)}  live`);
  for (const r of shown) out.push(`    ${fit(r.name, nameWidth)}  ${cell(r.ref)}  ${cell(r.live)}`.trimEnd());
  if (shown.length < rows.length) out.push(`    … ${rows.length - shown.length} more labels`);
  return out;
}

/** An ISO time as a person reads it: 2024-05-01 12:00:00 UTC. */
function when(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? clean(iso) : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function fixed(v: number | null, digits: number): string {
  return v === null ? '—' : v.toFixed(digits);
}

/** One model's block: header, drift summary, each distribution, quality from feedback, warnings. */
export function renderModel(m: ModelMonitoringView, opts: RenderOptions = {}): string {
  const width = opts.barWidth ?? 20;
  const color = opts.color === true;
  const lines: string[] = [];
  const title = `━━ ${clean(m.model)} · version ${clean(m.version)} `;
  lines.push(title + '━'.repeat(Math.max(3, 2 * width + 32 - [...title].length)));
  const worst = worstVerdict(m.distributions.map((d) => d.verdict));
  const drifting = m.distributions.filter((d) => d.verdict === 'significant' || d.verdict === 'moderate').map((d) => d.name);
  lines.push(`drift      ${word(worst, color)}${drifting.length > 0 ? ` (${drifting.join(', ')})` : ''}`);
  lines.push(`window     ${num(m.window.count)} of ${num(m.window.capacity)} predictions; ${num(m.window.total)} since ${when(m.startedAt)}${m.window.invalid > 0 ? `; ${num(m.window.invalid)} malformed` : ''}${m.window.otherLabels > 0 ? `; ${num(m.window.otherLabels)} with other labels` : ''}`);
  if (m.reference !== null) {
    const d = m.reference.data;
    lines.push(`reference  ${clean(d.file)}, ${num(m.reference.count)} texts, sha256 ${clean(d.sha256).slice(0, 12)}…, made ${when(m.reference.createdAt)}`);
  } else {
    lines.push('reference  none');
  }
  for (const d of m.distributions) {
    lines.push('');
    lines.push(...renderDistribution(d, width, color));
  }
  lines.push('');
  lines.push(`  unknown tokens   live ${pct(m.unknownTokenRate.live, 2)} of tokens, reference ${pct(m.unknownTokenRate.reference, 2)}`);
  lines.push(`  mean confidence  live ${fixed(m.meanConfidence.live, 3)}, reference ${fixed(m.meanConfidence.reference, 3)}`);
  const f = m.feedback;
  lines.push('');
  if (f.count > 0) lines.push(`  live quality     accuracy ${fixed(f.accuracy, 3)}  macro-F1 ${fixed(f.macroF1, 3)}  over the last ${num(f.count)} feedback labels (window ${num(f.window)})`);
  else lines.push('  live quality     no feedback yet (POST /feedback with true labels)');
  if (f.reference !== null) lines.push(`  on the reference accuracy ${fixed(f.reference.accuracy, 3)}  macro-F1 ${fixed(f.reference.macroF1, 3)}  (${num(f.reference.count)} labelled texts)`);
  if (f.received > f.recorded) lines.push(`  feedback         ${num(f.recorded)} paired, ${num(f.unknownRequest)} unknown or expired request, ${num(f.duplicate)} duplicate, ${num(f.invalid)} invalid`);
  for (const w of m.warnings) lines.push(`  note: ${clean(w)}`);
  return lines.join('\n') + '\n';
}

export function renderSnapshot(s: MonitoringSnapshot, opts: RenderOptions = {}): string {
  if (s.models.length === 0) return `no monitored models (snapshot of ${when(s.generatedAt)})\n`;
  return s.models.map((m) => renderModel(m, opts)).join('\n') + `\n(snapshot of ${when(s.generatedAt)})\n`;
}

export interface ViewIo {
  write: (s: string) => void;
  /** Rounds to draw with --watch before returning (default: until the process ends). */
  rounds?: number;
  /** Whether to clear the screen between rounds and colour verdicts (default: stdout is a terminal). */
  tty?: boolean;
  env?: Record<string, string | undefined>;
}

function pickModel(s: MonitoringSnapshot, model: string | undefined): MonitoringSnapshot {
  if (model === undefined) return s;
  const models = s.models.filter((m) => m.model === model);
  if (models.length === 0) throw new LenguaError(`the server monitors no model named ${JSON.stringify(model)} (it monitors: ${s.models.map((m) => clean(m.model)).join(', ') || 'none'})`, { field: '--model' });
  return { ...s, models };
}

/** `lengua monitor --url ...`: one snapshot, or one every --watch seconds. */
export async function runView(flags: ViewFlags, io: ViewIo): Promise<void> {
  if (flags.url === undefined) throw new LenguaError('give the server: lengua monitor --url http://HOST:PORT (or lengua monitor reference ... to compute a reference)', { field: '--url' });
  const env = io.env ?? process.env;
  const key = flags.key ?? env.LENGUA_API_KEY;
  const u = monitoringUrl(flags.url);
  if (key !== undefined && key !== '' && u.protocol === 'http:' && !isLoopback(u.hostname)) {
    process.stderr.write(`warning: the API key goes to ${u.host} over plain http; use https beyond this machine\n`);
  }
  const barWidth = intFlag(flags.barWidth, '--bar-width', 4, 200);
  const tty = io.tty ?? process.stdout.isTTY === true;
  const color = tty && (env.NO_COLOR === undefined || env.NO_COLOR === '');
  const draw = (s: MonitoringSnapshot): string => (flags.json ? JSON.stringify(s) + '\n' : renderSnapshot(s, { barWidth, color }));
  if (flags.watch === undefined) {
    io.write(draw(pickModel(await fetchSnapshot(flags.url, key), flags.model)));
    return;
  }
  const seconds = Number(flags.watch);
  if (!/^\d+(\.\d+)?$/.test(flags.watch.trim()) || !(seconds >= 0.1 && seconds <= 86_400)) throw new LenguaError(`--watch takes seconds in [0.1, 86400], got ${JSON.stringify(flags.watch)}`, { field: '--watch' });
  for (let round = 1; io.rounds === undefined || round <= io.rounds; round++) {
    let out: string;
    try {
      out = draw(pickModel(await fetchSnapshot(flags.url, key), flags.model));
    } catch (err) {
      // A server that restarts or a network blip must not end the watch.
      if (!(err instanceof LenguaError)) throw err;
      out = `lengua monitor: ${err.message}; trying again in ${seconds} s\n`;
    }
    io.write((tty && !flags.json ? '\x1b[H\x1b[2J' : '') + out);
    if (io.rounds !== undefined && round >= io.rounds) break;
    await new Promise((r) => setTimeout(r, seconds * 1000));
  }
}

export function register(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('model monitoring: a server\'s drift and live accuracy (monitor [show] --url URL), a model\'s reference (monitor reference)');
  // The view is the default subcommand (not options of `monitor` itself), so that `monitor reference` keeps its own --model and --json.
  monitor
    .command('show', { isDefault: true })
    .description('draw a server\'s monitoring (GET /monitoring): per model, each distribution live against its reference with its PSI, and live accuracy from feedback')
    .option('--url <url>', 'the server, e.g. http://127.0.0.1:8080')
    .option('--key <key>', 'API key (default: $LENGUA_API_KEY; prefer the variable, a flag shows in the process list)')
    .option('--model <name>', 'show this model only')
    .option('--watch <seconds>', 'redraw every so many seconds until interrupted')
    .option('--json', 'print the /monitoring JSON as it came')
    .option('--bar-width <n>', 'cells per bar', '20')
    .action(async (flags: ViewFlags) => {
      await runView(flags, { write: (s) => process.stdout.write(s) });
    });
  const reference = monitor
    .command('reference')
    .description('compute a model\'s monitoring reference on a data file (label shares, confidence, input length, unknown tokens) into DIR/monitoring/reference.json')
    .requiredOption('--model <dir>', 'a text-classification folder (exported, or a training folder: exported on the fly into the cache)')
    .requiredOption('--data <file>', 'texts the model should expect in service (csv, tsv, jsonl, json or X_text.txt); labelled data also gives the reference accuracy')
    .option('--out <file>', `write the reference here instead of <model>/${REFERENCE_FILE}`)
    .option('--batch-size <n>', 'texts per forward pass', '32')
    .option('--json', 'print the reference JSON');
  addDataOptions(reference, { parallelFiles: true, skipBadRows: 'leave out bad rows (counted) instead of stopping at the first' });
  reference.action(async (flags: ReferenceFlags) => {
    const r = await computeReference(flags);
    for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
    process.stdout.write(flags.json ? JSON.stringify(r.reference) + '\n' : describeReference(r));
  });
}
