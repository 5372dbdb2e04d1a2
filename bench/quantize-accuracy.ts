/**
 * What int8 dynamic quantization costs on a real task: a classifier fine-tuned here is exported with
 * `--quantize int8`, and the float and int8 files run in ONNX Runtime on a labelled evaluation split; macro-F1
 * and accuracy of both, their difference, and how many predictions changed. The goal: ≤ 1 point of
 * macro-F1.
 *
 * Without --model it first fine-tunes the golden fixture bert-tiny-seqcls (real transformers-written
 * weights of a 2-layer, 32-wide BERT; random init) with `lengua train` on every 8th row of SST-2's train split
 * (8,418 rows, 2 epochs, lr 1e-3, batch 32, one thread: a few minutes), and evaluates on SST-2's dev split
 * (872 sentences). With --model DIR it uses a fine-tuned folder as it is.
 *
 *   npm run bench -- quantize-accuracy [--model DIR] [--eval FILE.tsv] [--threads 2] [--keep DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const shared = resolve(repo, '..', 'shared');

function arg(argv: string[], name: string, dflt: string | undefined): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
}

/** `sentence<TAB>label` rows of an SST-2 / GLUE file (header first). */
function readTsv(file: string): Array<{ text: string; label: number }> {
  const [, ...rows] = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  return rows.map((l) => {
    const tab = l.lastIndexOf('\t');
    return { text: l.slice(0, tab).trim(), label: Number(l.slice(tab + 1)) };
  });
}

function trainDefault(work: string, threads: number): string {
  const train = join(work, 'sst2-train-every-8th.tsv');
  const lines = readFileSync(join(shared, 'data', 'sst2-glue', 'train.tsv'), 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(train, [lines[0], ...lines.slice(1).filter((_, i) => i % 8 === 7)].join('\n') + '\n');
  const out = join(work, 'bert-tiny-sst2');
  const args = [
    join(repo, 'bin', 'lengua.js'), 'train', '--model', join(shared, 'golden', 'fixtures', 'bert-tiny-seqcls'), '--train', train,
    '--out', out, '--learning-rate', '0.001', '--num-train-epochs', '2', '--per-device-train-batch-size', '32', '--threads', String(threads),
  ];
  process.stdout.write(`training: node ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`lengua train failed (${r.status})`);
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const threads = Number(arg(argv, 'threads', '2'));
  const evalFile = arg(argv, 'eval', join(shared, 'data', 'sst2-glue', 'dev.tsv'))!;
  const keep = arg(argv, 'keep', undefined);
  const work = keep ?? mkdtempSync(join(tmpdir(), 'lengua-bench-qacc-'));
  try {
    const t0 = performance.now();
    const modelDir = arg(argv, 'model', undefined) ?? trainDefault(work, threads);
    const trainSeconds = (performance.now() - t0) / 1000;
    const { exportToOnnx } = await import('../src/export/index.js');
    const { AutoTokenizer } = await import('../src/text/tokenizer/index.js');
    const { f1Score, accuracyScore } = await import('../src/metrics/index.js');
    const out = join(work, 'onnx-export');
    const r = await exportToOnnx(modelDir, out, { quantize: 'int8', threads, overwrite: true });
    const tok = await AutoTokenizer.fromPretrained(out);
    const rows = readTsv(evalFile);
    const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] };
    const predict = async (file: string): Promise<number[]> => {
      const s = await ort.InferenceSession.create(join(out, file), opts);
      const preds: number[] = [];
      for (let i = 0; i < rows.length; i += 32) {
        const enc = tok.encodeBatch(rows.slice(i, i + 32).map((x) => x.text), { truncation: true, maxLength: 128 });
        const seq = Math.max(...enc.map((e) => e.ids.length));
        const dims = [enc.length, seq];
        const flat = (f: (e: (typeof enc)[number], j: number) => number): BigInt64Array =>
          BigInt64Array.from(enc.flatMap((e) => Array.from({ length: seq }, (_, j) => BigInt(j < e.ids.length ? f(e, j) : 0))));
        const feeds: Record<string, ort.Tensor> = {
          input_ids: new ort.Tensor('int64', flat((e, j) => e.ids[j]!), dims),
          attention_mask: new ort.Tensor('int64', flat(() => 1), dims),
        };
        if (s.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', flat((e, j) => e.tokenTypeIds[j]!), dims);
        const logits = (await s.run(feeds)).logits!;
        const [b, c] = logits.dims as [number, number];
        const d = logits.data as Float32Array;
        for (let k = 0; k < b; k++) {
          let best = 0;
          for (let j = 1; j < c; j++) if (d[k * c + j]! > d[k * c + best]!) best = j;
          preds.push(best);
        }
      }
      await s.release();
      return preds;
    };
    const gold = rows.map((x) => x.label);
    const fp32 = await predict('onnx/model.onnx');
    const int8 = await predict('onnx/model_quantized.onnx');
    const score = (p: number[]) => ({ macroF1: f1Score(gold, p, { average: 'macro' }) as number, accuracy: accuracyScore(gold, p) as number });
    const a = score(fp32);
    const q = score(int8);
    const changed = fp32.filter((p, i) => p !== int8[i]).length;
    const base = { task: 'sst2-glue dev', examples: rows.length, model: modelDir, architecture: r.architecture, parameters: r.parameters, quantizedMatMuls: r.quantized!.report.matmuls.length };
    process.stdout.write(`${rows.length} examples: fp32 macro-F1 ${(100 * a.macroF1).toFixed(2)}, int8 ${(100 * q.macroF1).toFixed(2)} ` +
      `(${(100 * (q.macroF1 - a.macroF1)).toFixed(2)} points); accuracy ${(100 * a.accuracy).toFixed(2)} → ${(100 * q.accuracy).toFixed(2)}; ${changed} predictions changed` +
      (arg(argv, 'model', undefined) === undefined ? `; training took ${trainSeconds.toFixed(0)} s` : '') + '\n');
    process.stdout.write(JSON.stringify({ ...base, dtype: 'fp32', ...a }) + '\n');
    process.stdout.write(JSON.stringify({ ...base, dtype: 'int8', reference: 'fp32', ...q, macroF1Change: q.macroF1 - a.macroF1, predictionsChanged: changed, relErrorOnValidationBatches: r.quantized!.validation.relError }) + '\n');
    return 0;
  } finally {
    if (keep === undefined) rmSync(work, { recursive: true, force: true });
  }
}
