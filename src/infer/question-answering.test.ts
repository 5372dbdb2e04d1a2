// pipeline('question-answering') on exports of the bert-synth-qa golden and of RoBERTa / DistilBERT QA heads built
// on the fixtures' bodies: answers and scores against an independent reference computed here from libtorch's start
// and end logits over the same windows (transformers' QuestionAnsweringPipeline step by step), long contexts over
// several windows, Transformers.js on the same folders, and the refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline as tjsPipeline } from '@huggingface/transformers';
import * as torch from '../torch/index.js';
import { LenguaError } from '../errors.js';
import { AutoModelForQuestionAnswering, logger, type PreTrainedModel } from '../models/index.js';
import { AutoTokenizer, encodePairWindows, type Encoding, type PreTrainedTokenizer } from '../text/index.js';
import { exportToOnnx } from '../export/index.js';
import { golden, skipWithoutGolden as skip } from '../testing/golden.js';
import { pipeline, QA_LIMITS, registerOnnxExporter, type QuestionAnsweringOutput } from './index.js';

torch.setNumThreads(1);
/**
 * The export is validated to |ONNX Runtime − libtorch| ≤ 1e-4 per logit. A score is
 * exp(start[s] + end[e] − lse(start) − lse(end)); each of the four terms moves by at most that much (a log-sum-exp
 * moves no more than its largest argument), so the score's relative error is at most exp(4e-4) − 1.
 */
const LOGIT_TOL = 1e-4;
const REL = Math.expm1(4 * LOGIT_TOL);
const root = mkdtempSync(join(tmpdir(), 'lengua-qa-'));
after(() => rmSync(root, { recursive: true, force: true }));
/** name → the model folder libtorch loads and its ONNX export (a subfolder of root, which Transformers.js reads by name). */
const folders = new Map<string, { src: string; onnx: string }>();
const NAMES = ['bert-synth-qa', 'roberta-synth-seqcls', 'distilbert-synth-seqcls'];

async function loadQa(dir: string, opts: { numLabels?: number; seed?: number } = {}): Promise<PreTrainedModel> {
  const { result } = await logger.captureAsync(() => AutoModelForQuestionAnswering.fromPretrained(dir, opts) as Promise<PreTrainedModel>);
  result.eval();
  return result;
}

before(async () => {
  if (skip !== false) return;
  for (const name of NAMES) {
    let src = golden('fixtures', name);
    if (name !== 'bert-synth-qa') {
      // A QA head on the fixture's body: random weights from a seed, biases made non-zero so a dropped bias shows.
      const model = await loadQa(src, { numLabels: 2, seed: 11 });
      torch.manualSeed(11);
      torch.noGrad(() => {
        for (const [p, t] of model.namedParameters()) if (p.startsWith('qa_outputs.')) torch.nn.init.normal_(t, 0, 0.5);
      });
      const dir = join(root, `src-${name}`);
      await model.savePretrained(dir);
      (await AutoTokenizer.fromPretrained(src)).savePretrained(dir);
      src = dir;
    }
    const onnx = join(root, `onnx-${name}`);
    await exportToOnnx(src, onnx, { threads: 1 });
    folders.set(name, { src, onnx });
  }
  env.allowRemoteModels = false;
  env.localModelPath = root;
});

interface RefAnswer extends QuestionAnsweringOutput {
  window: number;
}

/** libtorch's start and end logits of each window (one forward per window, unpadded). */
function torchLogits(model: PreTrainedModel, windows: Encoding[]): Array<{ start: number[]; end: number[] }> {
  return windows.map((w) => torch.noGrad(() => torch.tidy(() => {
    const out = model.forward({ inputIds: [w.ids], attentionMask: [w.attentionMask], tokenTypeIds: model.acceptsTokenTypeIds ? [w.tokenTypeIds] : null }) as unknown as { startLogits: torch.Tensor; endLogits: torch.Tensor };
    return { start: (out.startLogits.toArray() as number[][])[0]!, end: (out.endLogits.toArray() as number[][])[0]! };
  })));
}

/**
 * transformers' QuestionAnsweringPipeline written out independently: per window, softmax over the context and
 * CLS tokens, CLS zeroed, every (s ≤ e, ≤ maxAnswerLen tokens) pair scored by the product, its topK kept and
 * widened to whole words; then the windows merged (one entry per character span, the best), the null answer
 * added with handleImpossibleAnswer, best topK.
 */
function reference(
  tok: PreTrainedTokenizer, windows: Encoding[], logits: Array<{ start: number[]; end: number[] }>, context: string,
  o: { topK: number; maxAnswerLen: number; impossible?: boolean; align?: boolean },
): RefAnswer[] {
  const byChars = new Map<string, RefAnswer>();
  let minNull = Infinity;
  windows.forEach((w, wi) => {
    const isCtx = (k: number): boolean => w.sequenceIds![k] === 1;
    const soft = (v: number[]): number[] => {
      const keep = v.map((_, k) => isCtx(k) || w.ids[k] === tok.clsTokenId);
      const m = Math.max(...v.filter((_, k) => keep[k]));
      const e = v.map((x, k) => (keep[k] ? Math.exp(x - m) : 0));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / z);
    };
    const ps = soft(logits[wi]!.start);
    const pe = soft(logits[wi]!.end);
    minNull = Math.min(minNull, ps[0]! * pe[0]!);
    ps[0] = 0;
    pe[0] = 0;
    const cands: Array<{ s: number; e: number; p: number }> = [];
    for (let s = 0; s < w.ids.length; s++) for (let e = s; e < w.ids.length && e - s < o.maxAnswerLen; e++) if (isCtx(s) && isCtx(e)) cands.push({ s, e, p: ps[s]! * pe[e]! });
    cands.sort((a, b) => b.p - a.p);
    for (const c of cands.slice(0, o.topK)) {
      let a = c.s;
      let b = c.e;
      if (o.align !== false && w.wordIds?.[a] != null) {
        while (a > 0 && isCtx(a - 1) && w.wordIds[a - 1] === w.wordIds[c.s]) a--;
        while (b + 1 < w.ids.length && isCtx(b + 1) && w.wordIds[b + 1] === w.wordIds[c.e]) b++;
      }
      const [start, end] = [w.offsets[a]![0], w.offsets[b]![1]];
      const key = `${start}:${end}`;
      const had = byChars.get(key);
      if (had === undefined || had.score < c.p) byChars.set(key, { answer: context.slice(start, end), score: c.p, start, end, window: wi });
    }
  });
  const all = [...byChars.values()];
  if (o.impossible === true) all.push({ answer: '', score: minNull, start: 0, end: 0, window: -1 });
  return all.sort((a, b) => b.score - a.score).slice(0, o.topK);
}

/** Ours equals the reference: the same spans in the same order (where two reference scores are closer than the tolerance, either order). */
function assertSame(got: QuestionAnsweringOutput[], want: RefAnswer[], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, k) => {
    const tied = want.filter((w) => Math.abs(w.score - want[k]!.score) <= 2 * REL * want[k]!.score);
    const w = tied.find((x) => x.start === g.start && x.end === g.end);
    assert.ok(w !== undefined, `${what} rank ${k}: got ${JSON.stringify(g)}, want ${JSON.stringify(want[k])}`);
    assert.equal(g.answer, w.answer, what);
    assert.ok(Math.abs(g.score - w.score) <= REL * w.score, `${what} rank ${k}: score ${g.score} vs libtorch ${w.score}`);
  });
}

const SHORT = [
  { question: 'Where did the cat sit?', context: 'The cat sat on the mat by the door.' },
  { question: 'Who was amused?', context: 'Nobody was amused today, said Ana in Málaga.' },
];
// Long enough for several windows of every model here (bert-synth-qa takes 64 positions).
const LONG = {
  question: 'Where is the red house?',
  context: ['A quiet road leads north from the old bridge.', 'Two farms stand by the river, and a mill turns slowly.',
    'Past the church there is a field of wheat and then a forest.', 'The red house is beside the lake, behind the forest.',
    'Children swim there in summer and skate in winter.'].join(' '),
};

test('short contexts: answer, score, start and end equal the reference over libtorch\'s logits (topK 1 and 3, null answer)', { skip }, async () => {
  for (const name of NAMES) {
    const { src, onnx } = folders.get(name)!;
    const tok = await AutoTokenizer.fromPretrained(src);
    const model = await loadQa(src);
    const qa = await pipeline('question-answering', onnx, { numThreads: 1 });
    try {
      for (const { question, context } of SHORT) {
        const r = encodePairWindows(tok, question, context, { maxLength: 384, stride: 128 });
        assert.equal(r.windows.length, 1);
        const logits = torchLogits(model, r.windows);
        const one = (await qa(question, context)) as QuestionAnsweringOutput;
        assertSame([one], reference(tok, r.windows, logits, context, { topK: 1, maxAnswerLen: 15 }), `${name} ${question}`);
        assert.equal(one.answer, context.slice(one.start, one.end));
        const three = (await qa({ question, context }, { topK: 3, handleImpossibleAnswer: true })) as QuestionAnsweringOutput[];
        assertSame(three, reference(tok, r.windows, logits, context, { topK: 3, maxAnswerLen: 15, impossible: true }), `${name} ${question} top 3`);
        const raw = (await qa(question, context, { alignToWords: false, maxAnswerLen: 4 })) as QuestionAnsweringOutput;
        assertSame([raw], reference(tok, r.windows, logits, context, { topK: 1, maxAnswerLen: 4, align: false }), `${name} ${question} token offsets`);
      }
      // Arrays: question/context pairs in order, and one context for several questions.
      const many = (await qa(SHORT)) as QuestionAnsweringOutput[];
      assert.deepEqual(many, [await qa(SHORT[0]!), await qa(SHORT[1]!)]);
      const shared = (await qa(['Where?', 'Who?'], SHORT[0]!.context)) as QuestionAnsweringOutput[];
      assert.deepEqual(shared, [await qa('Where?', SHORT[0]!.context), await qa('Who?', SHORT[0]!.context)]);
    } finally {
      await qa.dispose();
    }
  }
});

test('a context over several windows: every window is searched, and the best answer (also from a later window) is the reference\'s, mapped to its slice of the context', { skip }, async (t) => {
  let later = 0;
  let beyond = 0;
  for (const name of NAMES) {
    const { src, onnx } = folders.get(name)!;
    const tok = await AutoTokenizer.fromPretrained(src);
    const model = await loadQa(src);
    const qa = await pipeline('question-answering', onnx, { numThreads: 1 });
    try {
      for (const [maxSeqLen, docStride] of [[48, 16], [40, 8], [56, 24]] as const) {
        const r = encodePairWindows(tok, LONG.question, LONG.context, { maxLength: maxSeqLen, stride: docStride, maxFirstTokens: 64 });
        assert.ok(r.windows.length >= 3, `${name}: ${r.windows.length} windows`);
        const logits = torchLogits(model, r.windows);
        const want = reference(tok, r.windows, logits, LONG.context, { topK: 3, maxAnswerLen: 15 });
        const got = (await qa(LONG.question, LONG.context, { maxSeqLen, docStride, topK: 3 })) as QuestionAnsweringOutput[];
        assertSame(got, want, `${name} ${maxSeqLen}/${docStride}`);
        for (const g of got) assert.equal(g.answer, LONG.context.slice(g.start, g.end));
        // Answers from windows past the first, and answers a pipeline that truncates to one window could not give.
        const firstEnd = Math.max(...r.windows[0]!.offsets.filter((_, k) => r.windows[0]!.sequenceIds![k] === 1).map((o) => o[1]));
        if (want[0]!.window > 0) later++;
        if (got[0]!.end > firstEnd) beyond++;
        t.diagnostic(`${name} ${maxSeqLen}/${docStride}: ${r.windows.length} windows, best from window ${want[0]!.window}: ${JSON.stringify(got[0])}`);
      }
    } finally {
      await qa.dispose();
    }
  }
  assert.ok(later >= 2 && beyond >= 1, `${later} of the long-context cases answered from a later window, ${beyond} beyond the first`);
});

test('Transformers.js loads the exported QA folders; on a context of one window its answer and score equal ours', { skip }, async () => {
  // Transformers.js decodes the answer's tokens (lower case for an uncased vocabulary, byte-level spaces kept) and
  // has no answer length limit; ours slices the context. One-letter words (each a whole token of the WordPiece
  // vocabularies) and token offsets (alignToWords false) make the two the same text.
  const cases: Record<string, { question: string; context: string }> = {
    'bert-synth-qa': { question: 'which letter?', context: 'a b c d e f g h i j k l m n o' },
    'distilbert-synth-seqcls': { question: 'which letter?', context: 'q r s t u v w x y z 1 2 3 4 5' },
    'roberta-synth-seqcls': { question: 'Where did the cat sit?', context: 'The cat sat on the mat by the door.' },
  };
  for (const name of NAMES) {
    const { onnx } = folders.get(name)!;
    const { question, context } = cases[name]!;
    const theirs = await tjsPipeline('question-answering', onnx.split('/').pop()!, { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
    const ours = await pipeline('question-answering', onnx, { numThreads: 1 });
    try {
      const a = (await theirs(question, context, { top_k: 3 })) as unknown as Array<{ answer: string; score: number }>;
      const b = (await ours(question, context, { topK: 3, maxAnswerLen: 1000, alignToWords: false })) as QuestionAnsweringOutput[];
      assert.equal(a.length, 3);
      a.forEach((x, k) => {
        // Both ran the same file in ONNX Runtime, each within 1e-4 of libtorch per logit.
        assert.ok(Math.abs(x.score - b[k]!.score) <= Math.expm1(8 * LOGIT_TOL) * x.score, `${name} rank ${k}: ${x.score} vs ${b[k]!.score}`);
        assert.equal(x.answer.trim(), b[k]!.answer, `${name} rank ${k}`);
      });
    } finally {
      await theirs.dispose();
      await ours.dispose();
    }
  }
});

test('refusals: a classifier folder (exported, or a training folder) names its architecture; bad options and inputs name the field', { skip }, async () => {
  const cls = join(root, 'onnx-classifier');
  await exportToOnnx(golden('fixtures', 'bert-synth-seqcls'), cls, { threads: 1 });
  await assert.rejects(
    pipeline('question-answering', cls, { numThreads: 1 }),
    (e: unknown) => e instanceof LenguaError && /BertForSequenceClassification is not an extractive question-answering model/.test(e.message) && e.field === 'architectures',
  );
  // Training folders (no onnx/) export on the fly for question-answering; a classifier's is refused by its architecture.
  registerOnnxExporter(async (dir, out, { task }) => {
    await exportToOnnx(dir, out, { task, threads: 1 });
  });
  try {
    const opts = { cacheDir: join(root, 'cache'), log: () => undefined, numThreads: 1 };
    const fly = await pipeline('question-answering', golden('fixtures', 'bert-synth-qa'), opts);
    const ready = await pipeline('question-answering', folders.get('bert-synth-qa')!.onnx, { numThreads: 1 });
    assert.deepEqual(await fly(SHORT[0]!), await ready(SHORT[0]!));
    await fly.dispose();
    await ready.dispose();
    await assert.rejects(
      pipeline('question-answering', golden('fixtures', 'bert-synth-seqcls'), opts),
      (e: unknown) => e instanceof LenguaError && /BertForSequenceClassification has no question-answering head/.test(e.message),
    );
  } finally {
    registerOnnxExporter(null);
  }
  const qa = await pipeline('question-answering', folders.get('bert-synth-qa')!.onnx, { numThreads: 1 });
  const field = (f: string) => (e: unknown): boolean => e instanceof LenguaError && e.field === f;
  try {
    await assert.rejects(qa('q', 'x'.repeat(QA_LIMITS.contextChars + 1)), (e: unknown) => field('context')(e) && /over the limit of 1000000/.test((e as Error).message));
    await assert.rejects(qa({ question: 'q' } as never), field('context'));
    await assert.rejects(qa('q', '   '), field('context'));
    await assert.rejects(qa(['a', 'b'], ['only one']), field('context'));
    await assert.rejects(qa('q', 'c', { topK: 0 }), field('topK'));
    await assert.rejects(qa('q', 'c', { maxAnswerLen: 0 }), field('maxAnswerLen'));
    await assert.rejects(qa('q', 'c', { docStride: 65 }), field('docStride'));
    // A stride that does not move the window forward (tokenizers refuses it too).
    await assert.rejects(qa('q', 'a b c d e f g h i j k l m n o p q r s t u v w x y z', { maxSeqLen: 12, docStride: 8 }), field('docStride'));
    await assert.rejects(qa('q', 'c', { handleImpossibleAnswer: 'yes' as never }), field('handleImpossibleAnswer'));
    // A question longer than maxQuestionLen tokens is cut, leaving room for the context.
    const long = (await qa('w '.repeat(200), 'a b c', { maxSeqLen: 16, maxQuestionLen: 8 })) as QuestionAnsweringOutput;
    assert.equal(long.answer, 'a b c'.slice(long.start, long.end));
  } finally {
    await qa.dispose();
  }
});
