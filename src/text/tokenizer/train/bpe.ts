/**
 * The BPE trainer of Hugging Face `tokenizers` (models/bpe/trainer.rs), on word counts: special tokens
 * first, then the alphabet (sorted by code point), then merges of the most frequent pair until the
 * vocabulary is full or no pair reaches `minFrequency`. Ties between pairs of equal count go to the pair
 * of smaller ids (first id, then second), as the library's heap orders them. With a
 * `continuingSubwordPrefix` ("##") every character but a word's first is a "##x" symbol and a merge drops
 * the prefix of its right part: the WordPiece trainer is this one with the prefix.
 *
 * Where the Rust library depends on HashMap order, this one is deterministic: words are processed in
 * code-unit order of their text (so "##x" symbols get their ids in that order), and `limitAlphabet`
 * removes the rarest characters with ties broken by code point.
 */
import { LenguaError } from '../../../errors.js';

export interface BpeTrainerOptions {
  vocabSize: number;
  minFrequency: number;
  specialTokens: readonly string[];
  /** Characters always in the alphabet, seen or not (byte-level BPE: the 256 byte symbols). */
  initialAlphabet?: readonly string[];
  /** Keep at most this many characters (the most frequent; the initial alphabet counts as most frequent). */
  limitAlphabet?: number;
  continuingSubwordPrefix?: string;
  /** Called now and then with the number of merges done (for progress). */
  onMerge?: (merges: number) => void;
}

export interface BpeResult {
  /** Tokens in id order. */
  vocab: string[];
  /** Merges in rank order, as [left, right] tokens. */
  merges: Array<[string, string]>;
}

/** Pair (a, b) of ids as one number; ids stay far below 2^26. */
const PAIR = 2 ** 26;
const pairKey = (a: number, b: number): number => a * PAIR + b;

interface Merge {
  a: number;
  b: number;
  count: number;
  /** Words where the pair was seen when this entry was made. */
  pos: Set<number>;
}

/** Max-heap on count, then min on (a, b): the order of the library's `Merge` entries. */
class MergeQueue {
  private readonly heap: Merge[] = [];

  get size(): number {
    return this.heap.length;
  }

  private before(x: Merge, y: Merge): boolean {
    if (x.count !== y.count) return x.count > y.count;
    return x.a !== y.a ? x.a < y.a : x.b < y.b;
  }

  push(m: Merge): void {
    const h = this.heap;
    h.push(m);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): Merge | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && this.before(h[l]!, h[best]!)) best = l;
        if (r < h.length && this.before(h[r]!, h[best]!)) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best]!, h[i]!];
        i = best;
      }
    }
    return top;
  }
}

/** Largest id space the pair encoding allows. */
export const MAX_BPE_SYMBOLS = PAIR - 1;

/**
 * Trains on `wordCounts` (word → occurrences). Words are pre-tokenized strings; a character outside the
 * kept alphabet is left out of its word, as the library does.
 */
export function trainBpe(wordCounts: ReadonlyMap<string, number>, opts: BpeTrainerOptions): BpeResult {
  const id2w: string[] = [];
  const w2id = new Map<string, number>();
  const add = (s: string): number => {
    let id = w2id.get(s);
    if (id === undefined) {
      id = id2w.length;
      if (id >= MAX_BPE_SYMBOLS) throw new LenguaError(`more than ${MAX_BPE_SYMBOLS} symbols`, { field: 'vocab_size' });
      id2w.push(s);
      w2id.set(s, id);
    }
    return id;
  };
  for (const t of opts.specialTokens) add(t);

  // Alphabet: every character weighted by its words' counts; the initial alphabet always stays.
  const alphabet = new Map<string, number>();
  for (const [word, count] of wordCounts) {
    for (const c of word) alphabet.set(c, (alphabet.get(c) ?? 0) + count);
  }
  for (const c of opts.initialAlphabet ?? []) alphabet.set(c, Number.POSITIVE_INFINITY);
  let kept = [...alphabet.entries()];
  const limit = opts.limitAlphabet;
  if (limit !== undefined && kept.length > limit) {
    kept.sort((x, y) => x[1] - y[1] || cp(x[0]) - cp(y[0]));
    kept = kept.slice(kept.length - limit);
  }
  kept.sort((x, y) => cp(x[0]) - cp(y[0]));
  for (const [c] of kept) add(c);

  // Words as symbol ids, in a fixed order.
  const prefix = opts.continuingSubwordPrefix ?? '';
  const texts = [...wordCounts.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const text of texts) {
    const symbols: number[] = [];
    let first = true;
    for (const c of text) {
      if (w2id.has(c)) symbols.push(add(!first && prefix !== '' ? prefix + c : c));
      first = false;
    }
    words.push(symbols);
    counts.push(wordCounts.get(text)!);
  }

  // Pair counts and where each pair is.
  const pairCounts = new Map<number, number>();
  const whereToUpdate = new Map<number, Set<number>>();
  words.forEach((w, i) => {
    for (let j = 0; j + 1 < w.length; j++) {
      const k = pairKey(w[j]!, w[j + 1]!);
      pairCounts.set(k, (pairCounts.get(k) ?? 0) + counts[i]!);
      let s = whereToUpdate.get(k);
      if (s === undefined) whereToUpdate.set(k, (s = new Set()));
      s.add(i);
    }
  });
  const queue = new MergeQueue();
  const flush = (): void => {
    for (const [k, pos] of whereToUpdate) {
      const count = pairCounts.get(k) ?? 0;
      if (count > 0) queue.push({ a: Math.floor(k / PAIR), b: k % PAIR, count, pos });
    }
    whereToUpdate.clear();
  };
  flush();

  const merges: Array<[number, number]> = [];
  while (id2w.length < opts.vocabSize && queue.size > 0) {
    const top = queue.pop()!;
    const current = pairCounts.get(pairKey(top.a, top.b)) ?? 0;
    if (top.count !== current) {
      top.count = current;
      queue.push(top);
      continue;
    }
    if (top.count < 1 || opts.minFrequency > top.count) break;
    const left = id2w[top.a]!;
    let right = id2w[top.b]!;
    if (prefix !== '' && right.startsWith(prefix)) right = right.slice(prefix.length);
    const newId = add(left + right);
    merges.push([top.a, top.b]);
    // Merge the pair in every word where it was, counting what changes.
    for (const i of [...top.pos].sort((x, y) => x - y)) {
      const w = words[i]!;
      const n = counts[i]!;
      const change = (a: number, b: number, delta: number): void => {
        const k = pairKey(a, b);
        pairCounts.set(k, (pairCounts.get(k) ?? 0) + delta * n);
        if (delta > 0) {
          let s = whereToUpdate.get(k);
          if (s === undefined) whereToUpdate.set(k, (s = new Set()));
          s.add(i);
        }
      };
      for (let j = 0; j < w.length - 1; j++) {
        if (w[j] !== top.a || w[j + 1] !== top.b) continue;
        if (j > 0) {
          change(w[j - 1]!, top.a, -1);
          change(w[j - 1]!, newId, 1);
        }
        w.splice(j, 2, newId);
        if (j < w.length - 1) {
          change(top.b, w[j + 1]!, -1);
          change(newId, w[j + 1]!, 1);
        }
      }
    }
    flush();
    if (opts.onMerge !== undefined && merges.length % 1000 === 0) opts.onMerge(merges.length);
  }
  return { vocab: id2w, merges: merges.map(([a, b]) => [id2w[a]!, id2w[b]!]) };
}

/** The code point of a one-character string. */
function cp(c: string): number {
  return c.codePointAt(0)!;
}
