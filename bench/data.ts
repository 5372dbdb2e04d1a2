/**
 * `lengua data inspect` on a large CSV: wall time and peak RSS of the streaming command against, in
 * the same run, (a) Lengua's in-memory path (loadDataset + inspectDataset, the whole file held) and
 * (b) a plain Python reference (stdlib csv + collections.Counter + a set of the texts; exact duplicates
 * only, no normalization) — each in its own child process so its peak RSS is its own.
 *
 *   npm run bench -- data [--rows 2600000] [--seed 1] [--dir DIR] [--keep] [--sides streaming,memory,python]
 *
 * The CSV (id,text,label,lang; about 77 bytes a row, so about 200 MB for the default 2.6 M rows) is
 * generated deterministically from the seed: tweets of examples/data/tweets-sample.csv and, when
 * present, ../shared/data (TweetEval, UMSAB, TASS), cut to random word windows and perturbed (mentions,
 * URLs, numbers, case), with about 3% exact repeats (a tenth of them relabelled) and 2% near-repeats
 * that only normalization joins. Peak RSS comes from /usr/bin/time -v when installed, else from
 * process.resourceUsage() / resource.getrusage in the child. Prints a table and, last, one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { mulberry32 } from '../src/data/split.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const shared = resolve(repo, '../shared/data');

type Tweet = [text: string, label: string, lang: string];

/** Source tweets: the bundled sample, plus the shared tweet sets when they are there. */
function sourceTweets(): Tweet[] {
  const out: Tweet[] = [];
  const sample = readFileSync(join(repo, 'examples/data/tweets-sample.csv'), 'utf8').trimEnd().split('\n').slice(1);
  for (const line of sample) {
    // id,text,label,lang with the text quoted when it holds a comma: the last two fields have none.
    const m = /^[^,]*,(.*),([^,]*),([^,]*)$/.exec(line);
    if (m) out.push([m[1]!.replace(/^"(.*)"$/, '$1').replace(/""/g, '"'), m[2]!, m[3]!]);
  }
  const names = ['negative', 'neutral', 'positive'];
  const parallel: Array<[string, string, string]> = [
    ['tweeteval-sentiment/val_text.txt', 'tweeteval-sentiment/val_labels.txt', 'en'],
    ['umsab-english-sentiment/train_text.txt', 'umsab-english-sentiment/train_labels.txt', 'en'],
    ['umsab-spanish-sentiment/train_text.txt', 'umsab-spanish-sentiment/train_labels.txt', 'es'],
  ];
  for (const [t, l, lang] of parallel) {
    if (!existsSync(join(shared, t))) continue;
    const texts = readFileSync(join(shared, t), 'utf8').split('\n');
    const labels = readFileSync(join(shared, l), 'utf8').split('\n');
    texts.forEach((x, i) => {
      const label = names[Number(labels[i])];
      if (x.trim() !== '' && label !== undefined) out.push([x.trim(), label, lang]);
    });
  }
  const tass = join(shared, 'tass2020-task1-spanish-sentiment/train/es.tsv');
  if (existsSync(tass)) {
    const map: Record<string, string> = { N: 'negative', NEU: 'neutral', P: 'positive' };
    for (const line of readFileSync(tass, 'utf8').split('\n')) {
      const [, text, label] = line.split('\t');
      if (text !== undefined && label !== undefined && map[label.trim()]) out.push([text.trim(), map[label.trim()]!, 'es']);
    }
  }
  return out;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes `rows` tweet-like rows to `path`, the same bytes for the same seed; returns the file's size. */
export function generateCsv(path: string, rows: number, seed: number): number {
  const pool = sourceTweets();
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const recent: Tweet[] = [];
  const fd = openSync(path, 'w');
  let buf: string[] = ['id,text,label,lang\n'];
  let bytes = 0;
  const flush = () => {
    const s = buf.join('');
    bytes += Buffer.byteLength(s);
    writeSync(fd, s);
    buf = [];
  };
  try {
    for (let i = 0; i < rows; i++) {
      const r = rand();
      let row: Tweet;
      if (r < 0.03 && recent.length > 0) {
        const [text, label, lang] = pick(recent);
        row = [text, rand() < 0.1 ? pick(['negative', 'neutral', 'positive']) : label, lang]; // exact repeat
      } else if (r < 0.05 && recent.length > 0) {
        const [text, label, lang] = pick(recent);
        row = [rand() < 0.5 ? text.toUpperCase() : `  ${text.replace(/ /g, '  ')}`, label, lang]; // same after normalization
      } else {
        const [base, label, lang] = pick(pool);
        const words = base.split(/\s+/);
        const n = 4 + Math.floor(rand() * 13);
        const start = Math.floor(rand() * Math.max(1, words.length - n));
        const w = words.slice(start, start + n);
        const extra = rand();
        if (extra < 0.2) w.push(`@user${Math.floor(rand() * 5000)}`);
        else if (extra < 0.35) w.push(`https://t.co/${Math.floor(rand() * 1e9).toString(36)}`);
        else if (extra < 0.5) w.push(String(Math.floor(rand() * 1e6)));
        else if (extra < 0.55) w.push('😀');
        if (rand() < 0.1) w[0] = w[0]!.toUpperCase();
        row = [w.join(' '), label, lang];
        if (recent.length < 5000) recent.push(row);
        else recent[Math.floor(rand() * recent.length)] = row;
      }
      buf.push(`${i + 1},${csvField(row[0])},${row[1]},${row[2]}\n`);
      if (buf.length >= 20_000) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** The Python reference: the counts a straightforward script makes, holding every text in a set. */
const PYTHON_REFERENCE = String.raw`
import csv, json, resource, sys, time
from collections import Counter
t0 = time.time()
rows = 0; empty = 0; labels = Counter(); texts = set(); lengths = []
with open(sys.argv[1], newline='', encoding='utf-8') as f:
    reader = csv.reader(f)
    header = next(reader)
    ti = header.index('text'); li = header.index('label')
    for rec in reader:
        rows += 1
        text = rec[ti]
        labels[rec[li]] += 1
        if not text.strip(): empty += 1
        texts.add(text)
        lengths.append(len(text))
lengths.sort()
print(json.dumps({'rows': rows, 'labels': labels, 'duplicates': rows - len(texts), 'emptyTexts': empty,
                  'chars': {'min': lengths[0], 'max': lengths[-1]}, 'seconds': time.time() - t0,
                  'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
`;

interface Measured {
  seconds: number;
  rssMb: number;
  stdout: string;
}

const TIME = '/usr/bin/time';
// Without /usr/bin/time, a Node child reports its own peak RSS on exit.
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nLENGUA_MAXRSS_KB '+process.resourceUsage().maxRSS+'\\n'))`;

/** Runs a child, measuring its wall time and peak RSS. */
function measure(cmd: string, args: string[], label: string): Measured {
  const useTime = existsSync(TIME);
  const node = cmd === process.execPath;
  const argv = useTime ? ['-v', cmd, ...args] : node ? [`--import=${RSS_HOOK}`, ...args] : args;
  process.stderr.write(`${label}...\n`);
  const t0 = performance.now();
  const r = spawnSync(useTime ? TIME : cmd, argv, { cwd: repo, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}):\n${r.stderr}`);
  let kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? /LENGUA_MAXRSS_KB (\d+)/.exec(r.stderr)?.[1]);
  if (!Number.isFinite(kb)) kb = Number((JSON.parse(r.stdout) as { maxRssKb?: number }).maxRssKb);
  return { seconds, rssMb: kb / 1024, stdout: r.stdout };
}

function flag(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
}

/** Child: the in-memory path, the whole file loaded, then inspected; prints the report as JSON. */
async function memorySide(file: string): Promise<void> {
  const { loadDataset, inspectDataset } = await import('../src/data/index.js');
  const report = inspectDataset(loadDataset(file, { allowEmptyText: true, allowMissingLabel: true }));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const child = flag(argv, 'child-memory', '');
  if (child !== '') {
    await memorySide(child);
    return 0;
  }
  const rows = Number(flag(argv, 'rows', '2600000'));
  const seed = Number(flag(argv, 'seed', '1'));
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer, got ${flag(argv, 'rows', '')}`);
  const sides = flag(argv, 'sides', 'streaming,memory,python').split(',');
  const dir = flag(argv, 'dir', '') || mkdtempSync(join(tmpdir(), 'lengua-bench-data-'));
  const file = join(dir, `tweets-${rows}-${seed}.csv`);
  const keep = argv.includes('--keep') || flag(argv, 'dir', '') !== '';
  try {
    if (!existsSync(file)) {
      process.stderr.write(`generating ${rows.toLocaleString('en-US')} rows (seed ${seed}) into ${file}...\n`);
      generateCsv(file, rows, seed);
    }
    const size = statSync(file).size;
    const results: Record<string, Measured> = {};
    const reports: Record<string, unknown> = {};
    if (sides.includes('streaming')) {
      results.streaming = measure(process.execPath, [join(repo, 'bin/lengua.js'), 'data', 'inspect', file, '--json'], 'lengua data inspect (streaming)');
      reports.streaming = JSON.parse(results.streaming.stdout);
    }
    if (sides.includes('memory')) {
      results.memory = measure(process.execPath, ['--import', 'tsx', join(here, 'run.ts'), 'data', '--child-memory', file], 'loadDataset + inspectDataset (in memory)');
      reports.memory = JSON.parse(results.memory.stdout);
    }
    if (sides.includes('python')) {
      const python = process.env.LENGUA_BENCH_PYTHON ?? '/usr/bin/python3';
      results.python = measure(python, ['-c', PYTHON_REFERENCE, file], 'python csv + Counter + set (reference)');
      reports.python = JSON.parse(results.python.stdout);
    }
    // The measurements are only worth comparing when the sides agree on what they counted.
    const checks: string[] = [];
    const s = reports.streaming as { rows: number; labels: Record<string, number>; duplicates: { count: number }; emptyTexts: number } | undefined;
    if (s && reports.memory) checks.push(`streamed report equals in-memory report: ${isDeepStrictEqual(s, reports.memory) ? 'yes' : 'NO'}`);
    if (s && reports.python) {
      const p = reports.python as { rows: number; labels: Record<string, number>; duplicates: number; emptyTexts: number };
      const same = p.rows === s.rows && p.duplicates === s.duplicates.count && p.emptyTexts === s.emptyTexts && isDeepStrictEqual({ ...p.labels }, Object.fromEntries(Object.entries(s.labels).filter(([, n]) => n > 0)));
      checks.push(`python counts (rows, labels, exact duplicates, empty) equal: ${same ? 'yes' : 'NO'}`);
    }
    const fmt = (m: Measured | undefined) => (m ? [`${m.seconds.toFixed(1)} s`, `${m.rssMb.toFixed(0)} MB`] : ['-', '-']);
    const line = (name: string, m: Measured | undefined) => `${name.padEnd(34)} ${fmt(m)[0]!.padStart(9)} ${fmt(m)[1]!.padStart(9)}`;
    const st = results.streaming;
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? +(a / b).toFixed(3) : null);
    const out = {
      rows,
      seed,
      fileMb: +(size / 1e6).toFixed(1),
      streamingS: st ? +st.seconds.toFixed(2) : null,
      streamingRssMb: st ? +st.rssMb.toFixed(0) : null,
      memoryS: results.memory ? +results.memory.seconds.toFixed(2) : null,
      memoryRssMb: results.memory ? +results.memory.rssMb.toFixed(0) : null,
      pythonS: results.python ? +results.python.seconds.toFixed(2) : null,
      pythonRssMb: results.python ? +results.python.rssMb.toFixed(0) : null,
      timeVsMemory: ratio(st?.seconds, results.memory?.seconds),
      rssVsMemory: ratio(st?.rssMb, results.memory?.rssMb),
      timeVsPython: ratio(st?.seconds, results.python?.seconds),
      rssVsPython: ratio(st?.rssMb, results.python?.rssMb),
    };
    process.stdout.write(`${file}: ${(size / 1e6).toFixed(1)} MB, ${rows.toLocaleString('en-US')} rows\n`);
    process.stdout.write(`${'side'.padEnd(34)} ${'wall'.padStart(9)} ${'peak RSS'.padStart(9)}\n`);
    process.stdout.write(`${line('lengua data inspect (streaming)', st)}\n${line('in memory (load + inspect)', results.memory)}\n${line('python reference (exact dups only)', results.python)}\n`);
    process.stdout.write(`streaming / in memory: time ${out.timeVsMemory ?? '-'}x, RSS ${out.rssVsMemory ?? '-'}x; streaming / python: time ${out.timeVsPython ?? '-'}x, RSS ${out.rssVsPython ?? '-'}x\n`);
    for (const c of checks) process.stdout.write(`${c}\n`);
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return checks.some((c) => c.endsWith('NO')) ? 1 : 0;
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
