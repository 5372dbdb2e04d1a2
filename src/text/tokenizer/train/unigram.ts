/**
 * The Unigram trainer of Hugging Face `tokenizers` (models/unigram/trainer.rs, itself SentencePiece's):
 *
 * 1. seeds: every character, then the repeated substrings of the words (suffix-tree nodes, 2 to
 *    `maxPieceLength` characters) by frequency × length, at most `seedSize` pieces, as log-probabilities;
 * 2. EM: `nSubIterations` E steps (expected counts from the lattice's forward-backward marginals) and M
 *    steps (pieces expected under 0.5 times are dropped; scores = digamma(count) - digamma(total), the
 *    Bayesian EM of the library), then pruning: each piece's loss is the likelihood lost if its
 *    occurrences were segmented as its second-best segmentation; the lowest-loss pieces go, keeping
 *    `shrinkingFactor` (0.75) of them, until 1.1 × the target size is reached;
 * 3. finalize: every character is kept, then the best pieces up to the target; special tokens first.
 *
 * Differences, all on purpose: words are processed in code-unit order and required characters in
 * code-point order (the Rust library iterates HashMaps); `vocabSize` counts the special tokens (the
 * library adds them on top); the training `<UNK>` piece never matches text; a pruning round that removes
 * nothing ends the loop (the library would loop forever). The loss keeps the library's normalizer
 * `sum + freq × (number of pieces − 1)`, where SentencePiece uses the number of alternatives.
 */
import { LenguaError } from '../../../errors.js';
import { forEachRepeat } from './suffix.js';

export interface UnigramTrainerOptions {
  /** Total vocabulary size, special tokens included. */
  vocabSize: number;
  specialTokens: readonly string[];
  /** Unknown token; added first when it is not among the special tokens. */
  unkToken: string;
  shrinkingFactor?: number;
  nSubIterations?: number;
  maxPieceLength?: number;
  seedSize?: number;
  onProgress?: (message: string) => void;
}

export interface UnigramResult {
  vocab: Array<[string, number]>;
  unkId: number;
}

const UNK_PENALTY = 10;
const TRAINING_UNK = '<UNK>';

export function digamma(x0: number): number {
  let x = x0;
  let result = 0;
  while (x < 7) {
    result -= 1 / x;
    x += 1;
  }
  x -= 1 / 2;
  const xx = 1 / x;
  const xx2 = xx * xx;
  const xx4 = xx2 * xx2;
  result += Math.log(x) + (1 / 24) * xx2 - (7 / 960) * xx4 + (31 / 8064) * xx4 * xx2 - (127 / 30720) * xx4 * xx4;
  return result;
}

function logSumExp(x: number, y: number, init: boolean): number {
  if (init) return y;
  const vmin = x > y ? y : x;
  const vmax = x > y ? x : y;
  return vmax > vmin + 50 ? vmax : vmax + Math.log(Math.exp(vmin - vmax) + 1);
}

/** Code-point order of two code-point arrays (a longer string after its prefix). */
function comparePoints(t: Int32Array, a: number, la: number, b: number, lb: number): number {
  const m = Math.min(la, lb);
  for (let i = 0; i < m; i++) {
    const d = t[a + i]! - t[b + i]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

interface Sentence {
  text: string;
  count: number;
  /** UTF-16 offset of each code point, and the end. */
  offsets: Int32Array;
}

/** Lattice nodes of every sentence, found once against the seed pieces (pieces are only ever removed). */
interface SentenceNodes {
  /** Per sentence: the range of its nodes. */
  start: Int32Array;
  begin: Int32Array;
  len: Uint8Array;
  seed: Int32Array;
}

/** The current pieces: scores by piece index, and which seed each piece is. */
class Model {
  readonly scores: Float64Array;
  readonly minScore: number;
  /** Seed id → current piece index, or -1 once removed. */
  readonly indexOfSeed: Int32Array;
  readonly byText: Map<string, number>;

  constructor(
    readonly pieces: ReadonlyArray<readonly [string, number]>,
    readonly seeds: Int32Array,
    seedCount: number,
  ) {
    this.scores = Float64Array.from(pieces, (p) => p[1]);
    let min = Number.POSITIVE_INFINITY;
    for (let i = 1; i < pieces.length; i++) if (this.scores[i]! < min) min = this.scores[i]!;
    this.minScore = min;
    this.indexOfSeed = new Int32Array(seedCount).fill(-1);
    this.byText = new Map();
    for (let i = 1; i < pieces.length; i++) {
      this.indexOfSeed[seeds[i]!] = i;
      this.byText.set(pieces[i]![0], i);
    }
  }

  get unkScore(): number {
    return this.minScore - UNK_PENALTY;
  }
}

/** A lattice as flat arrays of nodes in the library's insertion order (by begin, then length; unk last). */
class Lattice {
  begin: number[] = [];
  end: number[] = [];
  id: number[] = [];
  score: number[] = [];

  reset(): void {
    this.begin.length = 0;
    this.end.length = 0;
    this.id.length = 0;
    this.score.length = 0;
  }

  push(b: number, e: number, id: number, score: number): void {
    this.begin.push(b);
    this.end.push(e);
    this.id.push(id);
    this.score.push(score);
  }

  get size(): number {
    return this.begin.length;
  }

  /** The best path's node indices (first maximum wins, as the library's Viterbi); `skip` is left out. */
  viterbi(n: number, skip = -1): number[] {
    const best = new Float64Array(n + 1);
    const from = new Int32Array(n + 1).fill(-2);
    from[0] = -1;
    for (let k = 0; k < this.size; k++) {
      if (k === skip) continue;
      const b = this.begin[k]!;
      if (from[b] === -2) continue;
      const e = this.end[k]!;
      const s = best[b]! + this.score[k]!;
      if (from[e] === -2 || s > best[e]!) {
        best[e] = s;
        from[e] = k;
      }
    }
    const path: number[] = [];
    if (from[n] === -2) return path;
    for (let pos = n; pos > 0; ) {
      const k = from[pos]!;
      path.push(k);
      pos = this.begin[k]!;
    }
    return path.reverse();
  }

  /** Adds freq × marginal of each node to `expected`; returns log Z. */
  marginal(n: number, freq: number, expected: Float64Array): number {
    const alpha = new Float64Array(n + 1);
    const seenA = new Uint8Array(n + 1);
    for (let k = 0; k < this.size; k++) {
      const b = this.begin[k]!;
      const e = this.end[k]!;
      alpha[e] = logSumExp(alpha[e]!, alpha[b]! + this.score[k]!, seenA[e] === 0);
      seenA[e] = 1;
    }
    const beta = new Float64Array(n + 1);
    const seenB = new Uint8Array(n + 1);
    // Nodes are sorted by begin: walk them backwards by position, each position's nodes in order.
    let hi = this.size;
    for (let pos = n - 1; pos >= 0; pos--) {
      let lo = hi;
      while (lo > 0 && this.begin[lo - 1] === pos) lo--;
      for (let k = lo; k < hi; k++) {
        beta[pos] = logSumExp(beta[pos]!, this.score[k]! + beta[this.end[k]!]!, seenB[pos] === 0);
        seenB[pos] = 1;
      }
      hi = lo;
    }
    const z = alpha[n]!;
    for (let k = 0; k < this.size; k++) {
      expected[this.id[k]!]! += freq * Math.exp(alpha[this.begin[k]!]! + this.score[k]! + beta[this.end[k]!]! - z);
    }
    return freq * z;
  }
}

export function trainUnigram(wordCounts: ReadonlyMap<string, number>, opts: UnigramTrainerOptions): UnigramResult {
  const shrinking = opts.shrinkingFactor ?? 0.75;
  const nSub = opts.nSubIterations ?? 2;
  const maxLen = opts.maxPieceLength ?? 16;
  const seedSize = opts.seedSize ?? 1_000_000;
  const progress = opts.onProgress ?? ((): void => undefined);
  if (!(shrinking > 0 && shrinking < 1)) throw new LenguaError(`shrinking factor must be in (0, 1), got ${shrinking}`, { field: 'shrinking_factor' });
  if (!(maxLen >= 1 && maxLen <= 255)) throw new LenguaError(`max piece length must be in [1, 255], got ${maxLen}`, { field: 'max_piece_length' });

  const specials = [...opts.specialTokens];
  let unkId = specials.indexOf(opts.unkToken);
  if (unkId < 0) {
    specials.unshift(opts.unkToken);
    unkId = 0;
  }
  const target = opts.vocabSize - specials.length;
  if (target < 1) throw new LenguaError(`vocab size ${opts.vocabSize} leaves no room beside ${specials.length} special tokens`, { field: 'vocab_size' });

  const sentences = toSentences(wordCounts);

  // 1. Seeds.
  const seedPieces = makeSeeds(sentences, maxLen, seedSize);
  progress(`${seedPieces.length} seed pieces from ${sentences.length} words`);
  const pieces0: Array<[string, number]> = [[TRAINING_UNK, Number.NaN], ...seedPieces];
  const seedCount = pieces0.length;
  const nodes = sentenceNodes(sentences, pieces0, maxLen);
  let pieces: Array<[string, number]> = pieces0;
  let seeds: Int32Array = Int32Array.from(pieces0, (_, i) => i);
  let model = new Model(pieces, seeds, seedCount);
  const desired = Math.floor((target * 11) / 10);
  const lattice = new Lattice();

  const sentenceLattice = (si: number): number => {
    const s = sentences[si]!;
    const n = s.offsets.length - 1;
    lattice.reset();
    const unkScore = model.unkScore;
    let k = nodes.start[si]!;
    const kEnd = nodes.start[si + 1]!;
    for (let b = 0; b < n; b++) {
      let single = false;
      for (; k < kEnd && nodes.begin[k] === b; k++) {
        const idx = model.indexOfSeed[nodes.seed[k]!]!;
        if (idx < 0) continue;
        const l = nodes.len[k]!;
        lattice.push(b, b + l, idx, model.scores[idx]!);
        if (l === 1) single = true;
      }
      if (!single) lattice.push(b, b + 1, 0, unkScore);
    }
    return n;
  };

  for (let round = 1; ; round++) {
    for (let it = 0; it < nSub; it++) {
      // E step.
      const expected = new Float64Array(pieces.length);
      let objective = 0;
      let total = 0;
      for (const s of sentences) total += s.count;
      for (let si = 0; si < sentences.length; si++) {
        const n = sentenceLattice(si);
        const z = lattice.marginal(n, sentences[si]!.count, expected);
        if (Number.isNaN(z)) throw new LenguaError(`the likelihood of word ${JSON.stringify(sentences[si]!.text.slice(0, 50))} is NaN`);
        objective -= z / total;
      }
      // M step.
      const next: Array<[string, number]> = [];
      const nextSeeds: number[] = [];
      let sum = 0;
      for (let i = 0; i < pieces.length; i++) {
        if (i === 0) {
          next.push([pieces[0]![0], Number.NaN]);
          nextSeeds.push(seeds[0]!);
          continue;
        }
        if (expected[i]! < 0.5) continue;
        next.push([pieces[i]![0], expected[i]!]);
        nextSeeds.push(seeds[i]!);
        sum += expected[i]!;
      }
      const logsum = digamma(sum);
      for (const p of next) p[1] = digamma(p[1]) - logsum;
      pieces = next;
      seeds = Int32Array.from(nextSeeds);
      model = new Model(pieces, seeds, seedCount);
      progress(`EM round ${round}.${it + 1}: ${pieces.length} pieces, objective ${objective.toFixed(4)}`);
    }
    if (pieces.length <= desired) break;
    const before = pieces.length;
    [pieces, seeds] = prune(model, pieces, seeds, lattice, sentenceLattice, sentences, desired, shrinking);
    model = new Model(pieces, seeds, seedCount);
    progress(`pruned to ${pieces.length} pieces`);
    if (pieces.length >= before) break;
  }

  // 3. Finalize: every character, then the best pieces, sorted by score; special tokens first.
  const required = new Set<string>();
  for (const s of sentences) for (const c of s.text) required.add(c);
  const chars = [...required].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const out: Array<[string, number]> = [];
  const inserted = new Set<string>([TRAINING_UNK]);
  let penalty = 0;
  for (const c of chars) {
    const idx = model.byText.get(c);
    inserted.add(c);
    if (idx !== undefined) out.push([c, pieces[idx]![1]]);
    else {
      out.push([c, model.minScore + penalty]);
      penalty += 0.0001;
    }
  }
  for (const [p, score] of pieces) {
    if (out.length >= target) break;
    if (inserted.has(p)) continue;
    inserted.add(p);
    out.push([p, Number.isNaN(score) ? 0 : score]);
  }
  out.sort((a, b) => b[1] - a[1]);
  const specialSet = new Set(specials);
  const vocab: Array<[string, number]> = [...specials.map((t): [string, number] => [t, 0]), ...out.filter(([p]) => !specialSet.has(p))];
  return { vocab, unkId };
}

/** Words in code-unit order, with their code-point offsets. */
function toSentences(wordCounts: ReadonlyMap<string, number>): Sentence[] {
  return [...wordCounts.keys()]
    .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
    .map((text) => {
      const offs: number[] = [];
      for (let i = 0; i < text.length; ) {
        offs.push(i);
        i += text.codePointAt(i)! > 0xffff ? 2 : 1;
      }
      offs.push(text.length);
      return { text, count: wordCounts.get(text)!, offsets: Int32Array.from(offs) };
    });
}

/** The seed pieces and their log-probabilities (exported for tests: the library's own test checks them). */
export function seedPieces(wordCounts: ReadonlyMap<string, number>, maxPieceLength = 16, seedSize = 1_000_000): Array<[string, number]> {
  return makeSeeds(toSentences(wordCounts), maxPieceLength, seedSize);
}

/** Characters by count (then code point), descending; then substrings by frequency × length, descending. */
function makeSeeds(sentences: readonly Sentence[], maxLen: number, seedSize: number): Array<[string, number]> {
  let total = 0;
  for (const s of sentences) total += s.offsets.length; // code points + one separator each
  const text = new Int32Array(total);
  const nextZero = new Int32Array(total);
  const charCounts = new Map<number, number>();
  let p = 0;
  for (const s of sentences) {
    const start = p;
    for (const c of s.text) {
      const cp = c.codePointAt(0)!;
      text[p++] = cp;
      if (cp !== 0) charCounts.set(cp, (charCounts.get(cp) ?? 0) + s.count);
    }
    text[p] = 0;
    for (let i = start; i <= p; i++) nextZero[i] = p;
    p++;
  }
  const starts: number[] = [];
  const depths: number[] = [];
  const scores: number[] = [];
  forEachRepeat(text, (start, depth, freq) => {
    if (depth <= 1 || depth > maxLen) return;
    if (nextZero[start]! < start + depth) return;
    starts.push(start);
    depths.push(depth);
    scores.push(freq * depth);
  });
  const seeds: Array<[string, number]> = [...charCounts.entries()]
    .sort((a, b) => b[1] - a[1] || b[0] - a[0])
    .map(([cp, n]) => [String.fromCodePoint(cp), n]);
  const order = Array.from(starts.keys());
  order.sort((a, b) => scores[b]! - scores[a]! || comparePoints(text, starts[b]!, depths[b]!, starts[a]!, depths[a]!));
  for (const i of order) {
    if (seeds.length >= seedSize) break;
    seeds.push([String.fromCodePoint(...text.subarray(starts[i]!, starts[i]! + depths[i]!)), scores[i]!]);
  }
  let sum = 0;
  for (const s of seeds) sum += s[1];
  const logsum = Math.log(sum);
  for (const s of seeds) s[1] = Math.log(s[1]) - logsum;
  return seeds;
}

/** Every piece occurrence in every sentence, by begin then length (the order the library's trie gives). */
function sentenceNodes(sentences: readonly Sentence[], pieces: ReadonlyArray<readonly [string, number]>, maxLen: number): SentenceNodes {
  const byText = new Map<string, number>();
  for (let i = 1; i < pieces.length; i++) byText.set(pieces[i]![0], i);
  const start = new Int32Array(sentences.length + 1);
  const begin: number[] = [];
  const len: number[] = [];
  const seed: number[] = [];
  for (let si = 0; si < sentences.length; si++) {
    start[si] = begin.length;
    const { text, offsets } = sentences[si]!;
    const n = offsets.length - 1;
    for (let b = 0; b < n; b++) {
      const top = Math.min(n, b + maxLen);
      for (let e = b + 1; e <= top; e++) {
        const id = byText.get(text.slice(offsets[b], offsets[e]));
        if (id === undefined) continue;
        begin.push(b);
        len.push(e - b);
        seed.push(id);
      }
    }
  }
  start[sentences.length] = begin.length;
  return { start, begin: Int32Array.from(begin), len: Uint8Array.from(len), seed: Int32Array.from(seed) };
}

/** One pruning round: returns the kept pieces and their seed ids. */
function prune(
  model: Model,
  pieces: ReadonlyArray<[string, number]>,
  seeds: Int32Array,
  lattice: Lattice,
  sentenceLattice: (si: number) => number,
  sentences: readonly Sentence[],
  desired: number,
  shrinking: number,
): [Array<[string, number]>, Int32Array] {
  const P = pieces.length;
  const alwaysKeep = new Uint8Array(P).fill(1);
  const alternatives: number[][] = Array.from({ length: P }, () => []);
  const own = new Lattice();
  const unkScore = model.unkScore;
  for (let id = 1; id < P; id++) {
    const text = pieces[id]![0];
    const cps = Array.from(text);
    const n = cps.length;
    if (n === 1) continue; // one path only: keep, no alternative
    const offs: number[] = [0];
    for (const c of cps) offs.push(offs[offs.length - 1]! + c.length);
    own.reset();
    let full = -1;
    for (let b = 0; b < n; b++) {
      let single = false;
      for (let e = b + 1; e <= n; e++) {
        const idx = model.byText.get(text.slice(offs[b], offs[e]));
        if (idx === undefined) continue;
        if (b === 0 && e === n) full = own.size;
        own.push(b, e, idx, model.scores[idx]!);
        if (e === b + 1) single = true;
      }
      if (!single) own.push(b, b + 1, 0, unkScore);
    }
    const best = own.viterbi(n);
    if (best.length >= 2) {
      alwaysKeep[id] = 0;
    } else {
      for (const k of own.viterbi(n, full)) alternatives[id]!.push(own.id[k]!);
    }
  }
  // Viterbi frequencies over the corpus.
  const freq = new Float64Array(P);
  let vsum = 0;
  for (let si = 0; si < sentences.length; si++) {
    const n = sentenceLattice(si);
    const count = sentences[si]!.count;
    vsum += count;
    for (const k of lattice.viterbi(n)) freq[lattice.id[k]!]! += count;
  }
  let sum = 0;
  for (let i = 0; i < P; i++) sum += freq[i]!;
  const logsum = Math.log(sum);
  const keptPieces: Array<[string, number]> = [pieces[0]!];
  const keptSeeds: number[] = [seeds[0]!];
  const candidates: Array<[number, number]> = [];
  for (let id = 1; id < P; id++) {
    if (freq[id] === 0 && alwaysKeep[id] === 0) continue;
    if (alternatives[id]!.length === 0) {
      keptPieces.push(pieces[id]!);
      keptSeeds.push(seeds[id]!);
      continue;
    }
    // Each occurrence adds its sentence's count to both freq and f: f is freq / vsum.
    let f = freq[id]!;
    if (f === 0 || Number.isNaN(f)) continue;
    f /= vsum;
    const logprobSp = Math.log(freq[id]!) - logsum;
    const logsumAlt = Math.log(sum + freq[id]! * (P - 1));
    let logprobAlt = 0;
    for (const n of alternatives[id]!) logprobAlt += Math.log(freq[n]! + freq[id]!) - logsumAlt;
    candidates.push([id, f * (logprobSp - logprobAlt)]);
  }
  const prunedSize = Math.max(desired, Math.floor(P * shrinking));
  candidates.sort((a, b) => b[1] - a[1]);
  for (const [id] of candidates) {
    if (keptPieces.length === prunedSize) break;
    keptPieces.push(pieces[id]!);
    keptSeeds.push(seeds[id]!);
  }
  return [keptPieces, Int32Array.from(keptSeeds)];
}
