// Test helpers of the serve stage: real exported models (from the golden fixtures, with random new heads
// where a task needs one), a server on 127.0.0.1 port 0, and JSON requests with fetch.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { exportToOnnx } from '../export/index.js';
import { AutoModelForMaskedLM, AutoModelForTokenClassification, logger } from '../models/index.js';
import { AutoTokenizer } from '../text/index.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { LenguaServer, type ServerOptions } from './server.js';

export interface ServedFixtures {
  root: string;
  /** bert-synth-seqcls (negative/neutral/positive), exported. */
  seqcls: string;
  /** The same weights with labels entailment/neutral/contradiction: a zero-shot (NLI) model. */
  nli: string;
  /** BERT body with a random 5-label token-classification head, exported. */
  ner: string;
  /** BERT masked LM, exported. */
  mlm: string;
  /** BERT body exported for feature extraction. */
  embed: string;
  /** gpt2-synth-lm exported for text generation (KV cache). */
  gpt2: string;
}

export const NER_LABELS = { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-ORG', 4: 'I-ORG' };

/** Exports the models the server tests serve (libtorch only here, in the test; the server never loads it). */
export async function buildServedFixtures(which: ReadonlyArray<keyof Omit<ServedFixtures, 'root'>>): Promise<ServedFixtures> {
  const root = mkdtempSync(join(tmpdir(), 'lengua-serve-'));
  const f = { root } as ServedFixtures;
  const bert = golden('fixtures', 'bert-synth-seqcls');
  const want = new Set(which);
  if (want.has('seqcls') || want.has('nli')) {
    f.seqcls = join(root, 'seqcls');
    await exportToOnnx(bert, f.seqcls, { threads: 1 });
  }
  if (want.has('nli')) {
    f.nli = join(root, 'nli');
    cpSync(f.seqcls, f.nli, { recursive: true });
    const config = JSON.parse(readFileSync(join(f.nli, 'config.json'), 'utf8')) as Record<string, unknown>;
    config.id2label = { 0: 'entailment', 1: 'neutral', 2: 'contradiction' };
    config.label2id = { entailment: 0, neutral: 1, contradiction: 2 };
    writeFileSync(join(f.nli, 'config.json'), JSON.stringify(config, null, 2));
  }
  const tok = await AutoTokenizer.fromPretrained(bert);
  for (const head of ['ner', 'mlm'] as const) {
    if (!want.has(head)) continue;
    const src = join(root, `${head}-src`);
    const { result: model } = await logger.captureAsync(
      (): Promise<{ savePretrained(dir: string): Promise<void> | void }> =>
        head === 'ner' ? AutoModelForTokenClassification.fromPretrained(bert, { numLabels: 5, id2label: NER_LABELS }) : AutoModelForMaskedLM.fromPretrained(bert),
    );
    await model.savePretrained(src);
    tok.savePretrained(src);
    f[head] = join(root, head);
    await exportToOnnx(src, f[head], { threads: 1 });
    rmSync(src, { recursive: true, force: true });
  }
  if (want.has('embed')) {
    f.embed = join(root, 'embed');
    await exportToOnnx(bert, f.embed, { threads: 1, task: 'feature-extraction' });
  }
  if (want.has('gpt2')) {
    f.gpt2 = join(root, 'gpt2');
    await exportToOnnx(golden('fixtures', 'gpt2-synth-lm'), f.gpt2, { threads: 1, task: 'text-generation' });
  }
  return f;
}

/** The fixtures of a test file: built before its tests (not without goldens), removed after them. */
export function useServedFixtures(which: Parameters<typeof buildServedFixtures>[0]): () => ServedFixtures {
  let fx: ServedFixtures | undefined;
  before(async () => {
    if (skipWithoutGolden === false) fx = await buildServedFixtures(which);
  });
  after(() => {
    if (fx !== undefined) rmSync(fx.root, { recursive: true, force: true });
  });
  return () => fx!;
}

/** A server on 127.0.0.1, a free port, one ONNX thread per model; `url` is its base. */
export async function startServer(opts: ServerOptions): Promise<{ server: LenguaServer; url: string }> {
  const server = await LenguaServer.create({ numThreads: 1, workers: 1, ...opts, host: '127.0.0.1', port: 0 });
  const url = await server.listen();
  return { server, url };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics, SSE): the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
