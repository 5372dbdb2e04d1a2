/**
 * int8 against fp32 in ONNX Runtime: the same exported BERT classifier (random weights, seed 0) as
 * `onnx/model.onnx` and `onnx/model_quantized.onnx` (`lengua export --quantize int8`), both sessions with
 * the same intra-op threads, on real tweets (TweetEval validation texts from ../shared/data, tokenized with
 * the bert-base-uncased vocabulary of the goldens), sorted by length and run in micro-batches padded per
 * batch. The two sides alternate for several rounds and each keeps its best round, so a burst of load from
 * other processes on a shared machine does not land on one side only. Prints a table and one JSON line per
 * configuration: {"config","dtype","reference","textsPerS","referenceTextsPerS","ratio", ...}.
 *
 *   npm run bench -- inference-int8 [--configs small,base] [--texts 512] [--batch 32] [--threads 2] [--rounds 3]
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { writeFileAtomic } from '../src/util/fs.js';

export interface Shape {
  hidden: number;
  layers: number;
  heads: number;
  ffn: number;
}

export const CONFIGS: Record<string, Shape> = {
  // the small shape of the training benchmarks (4 layers × 256)
  small: { hidden: 256, layers: 4, heads: 4, ffn: 1024 },
  // BERT-base
  base: { hidden: 768, layers: 12, heads: 12, ffn: 3072 },
};

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '..', '..', 'shared');

export function arg(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
}

/** The first `count` non-empty TweetEval sentiment validation tweets of ../shared/data. */
export function tweetTexts(count: number): string[] {
  return readFileSync(join(shared, 'data', 'tweeteval-sentiment', 'val_text.txt'), 'utf8').split('\n').filter((t) => t.trim() !== '').slice(0, count);
}

/** Lengua's tokenizer from the bert-base-uncased vocab.txt of the goldens (lower-cased, 512 tokens at most). */
export async function bertBaseUncasedTokenizer(): Promise<import('../src/text/tokenizer/index.js').PreTrainedTokenizer> {
  const { AutoTokenizer } = await import('../src/text/tokenizer/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'lengua-bench-tok-'));
  try {
    copyFileSync(join(shared, 'golden', 'tokenizers', 'vocab', 'bert-base-uncased', 'vocab.txt'), join(dir, 'vocab.txt'));
    writeFileAtomic(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: 512 }));
    return await AutoTokenizer.fromPretrained(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A BERT sequence classifier of `shape` with random weights (seed 0) and the bert-base-uncased vocabulary size. */
export async function randomBertClassifier(shape: Shape): Promise<import('../src/models/index.js').AnySequenceClassifier> {
  const { AutoConfig, AutoModelForSequenceClassification } = await import('../src/models/index.js');
  const config = AutoConfig.forModel('bert', {
    vocab_size: 30522, hidden_size: shape.hidden, num_hidden_layers: shape.layers, num_attention_heads: shape.heads,
    intermediate_size: shape.ffn, max_position_embeddings: 512, type_vocab_size: 2,
  });
  return AutoModelForSequenceClassification.fromConfig(config, { seed: 0 });
}

/** Token ids of real tweets, sorted by length, in micro-batches padded to their longest row. */
async function tweetBatches(count: number, batch: number): Promise<{ batches: Array<Record<string, ort.Tensor>>; tokens: number; padded: number }> {
  const tok = await bertBaseUncasedTokenizer();
  const texts = tweetTexts(count);
  const enc = tok.encodeBatch(texts, { truncation: true, maxLength: 128 }).map((e) => e.ids).sort((a, b) => a.length - b.length);
  const batches: Array<Record<string, ort.Tensor>> = [];
  let tokens = 0;
  let padded = 0;
  for (let i = 0; i < enc.length; i += batch) {
    const rows = enc.slice(i, i + batch);
    const seq = Math.max(...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * seq);
    const mask = new BigInt64Array(rows.length * seq);
    rows.forEach((r, k) => r.forEach((id, j) => {
      ids[k * seq + j] = BigInt(id);
      mask[k * seq + j] = 1n;
    }));
    tokens += rows.reduce((s, r) => s + r.length, 0);
    padded += rows.length * seq;
    const dims = [rows.length, seq];
    batches.push({ input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims), token_type_ids: new ort.Tensor('int64', new BigInt64Array(rows.length * seq), dims) });
  }
  return { batches, tokens, padded };
}

async function timeOnce(session: ort.InferenceSession, batches: Array<Record<string, ort.Tensor>>): Promise<number> {
  const t0 = performance.now();
  for (const feeds of batches) await session.run(feeds);
  return (performance.now() - t0) / 1000;
}

export async function main(argv: string[]): Promise<number> {
  const configs = arg(argv, 'configs', 'small,base').split(',');
  const count = Number(arg(argv, 'texts', '512'));
  const batch = Number(arg(argv, 'batch', '32'));
  const threads = Number(arg(argv, 'threads', '2'));
  const rounds = Number(arg(argv, 'rounds', '3'));
  const torch = await import('../src/torch/index.js');
  const { exportToOnnx } = await import('../src/export/index.js');
  torch.setNumThreads(threads);
  const data = await tweetBatches(count, batch);
  const texts = data.batches.reduce((s, b) => s + b.input_ids!.dims[0]!, 0);
  process.stdout.write(`${texts} tweets, ${data.batches.length} micro-batches of ${batch}, ${(data.tokens / texts).toFixed(1)} tokens per text (${data.padded} with padding), ${threads} ORT threads, best of ${rounds} rounds\n`);
  const lines: string[] = [];
  for (const name of configs) {
    const shape = CONFIGS[name];
    if (shape === undefined) throw new Error(`unknown config ${name} (one of ${Object.keys(CONFIGS).join(', ')})`);
    const out = mkdtempSync(join(tmpdir(), `lengua-bench-int8-${name}-`));
    try {
      const model = await randomBertClassifier(shape);
      const r = await exportToOnnx(model, out, { quantize: 'int8', threads, overwrite: true });
      const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] };
      const fp32 = await ort.InferenceSession.create(join(out, 'onnx', 'model.onnx'), opts);
      const int8 = await ort.InferenceSession.create(join(out, 'onnx', 'model_quantized.onnx'), opts);
      await timeOnce(fp32, data.batches.slice(0, 2)); // warm-up
      await timeOnce(int8, data.batches.slice(0, 2));
      let best32 = Infinity;
      let best8 = Infinity;
      for (let k = 0; k < rounds; k++) {
        best32 = Math.min(best32, await timeOnce(fp32, data.batches));
        best8 = Math.min(best8, await timeOnce(int8, data.batches));
      }
      await fp32.release();
      await int8.release();
      const row = {
        config: name, dtype: 'int8', reference: 'onnxruntime-fp32', threads, texts, batch,
        textsPerS: texts / best8, referenceTextsPerS: texts / best32, ratio: best32 / best8,
        onnxMb: r.onnxBytes / 2 ** 20, quantizedMb: r.quantized!.bytes / 2 ** 20, relError: r.quantized!.validation.relError,
      };
      process.stdout.write(`${name.padEnd(6)} fp32 ${row.referenceTextsPerS.toFixed(1)} texts/s, int8 ${row.textsPerS.toFixed(1)} texts/s: ${row.ratio.toFixed(2)}x ` +
        `(${row.onnxMb.toFixed(0)} MB → ${row.quantizedMb.toFixed(0)} MB, relative error ${(100 * row.relError).toFixed(1)} %)\n`);
      lines.push(JSON.stringify(row));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  for (const l of lines) process.stdout.write(l + '\n');
  return 0;
}
