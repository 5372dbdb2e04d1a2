// Entity-level NER scoring with the semantics of the CoNLL `conlleval` script, as seqeval's default mode
// reproduces it: chunks are decoded from the tag sequence with conlleval's lenient start/end rules, and a
// predicted entity counts as correct only when its type, first and last token all match a true entity.
//
// Default mode, for a tag X-T (prefix X, type T) after a tag P-U:
//   a chunk ENDS before the current token when   P is E or S; or P is B/I and X is B, S or O; or
//                                                P is not O and U != T;
//   a chunk STARTS at the current token when      X is B or S; or X is I/E and P is O, E or S;
//                                                or X is not O and U != T.
// For IOB1/IOB2 (no E-/S- tags) these are exactly conlleval's rules, so e.g. an I-T after O or after another
// type starts an entity (IOB2 tolerated as conlleval does), and in IOB1 B-T (used only between two adjacent
// entities of one type) splits them. conlleval itself has no S- rule and does not end a chunk on E- B-; the
// S-/E- rules are seqeval's, which conlleval's authors never specified.
// Sentences are scored separately: no entity crosses a sentence boundary (conlleval sees a boundary as O).
//
// Strict mode (modelled on seqeval's mode='strict'; no reference implementation was available on this
// machine — Debian has no python3-seqeval — so the rules are stated here and tested by hand-worked cases):
// only entities that are well formed in the scheme count; ill-formed fragments are dropped.
//   IOB2:  B-T I-T*                  (an I-T that does not continue B-T/I-T starts nothing)
//   IOBES: S-T  |  B-T I-T* E-T      (a B-T without its E-T, or a stray I-T/E-T, is dropped)
//   IOB1:  I-T I-T* after a token that is not of type T, or B-T I-T* after a token of type T
//          (a B-T after O or another type breaks the scheme; the fragment it starts is dropped)
import { LenguaError } from '../errors.js';

export type TagScheme = 'IOB1' | 'IOB2' | 'IOBES';

/** One entity: its type and the sentence-local token span [start, end] (inclusive). */
export interface Entity {
  type: string;
  sentence: number;
  start: number;
  end: number;
}

export interface EntityScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true entities. */
  support: number;
}

export interface TypeScores extends EntityScores {
  /** Number of predicted entities. */
  predicted: number;
  /** Number of correctly predicted entities. */
  correct: number;
}

export interface EntityMetrics {
  /** Per entity type, types sorted; the union of types in the truth and the predictions. */
  perType: Record<string, TypeScores>;
  micro: TypeScores;
  /** Unweighted mean over types. */
  macro: EntityScores;
  /** Mean over types weighted by true-entity count (seqeval's 'weighted avg'). */
  weighted: EntityScores;
  /** Token-level accuracy: tokens whose full predicted tag equals the true tag (conlleval's "accuracy"). */
  accuracy: number;
  tokens: number;
}

export interface EntityOptions {
  scheme: TagScheme;
  mode?: 'default' | 'strict';
}

const MAX_TOKENS = 50_000_000;

interface Tag {
  prefix: 'B' | 'I' | 'E' | 'S' | 'O';
  type: string;
}

function parseTag(tag: unknown, scheme: TagScheme, where: string): Tag {
  if (typeof tag !== 'string') throw new LenguaError(`${where}: tag ${String(tag)} is not a string`);
  if (tag === 'O') return { prefix: 'O', type: '' };
  const allowed = scheme === 'IOBES' ? 'BIES' : 'BI';
  const p = tag[0] ?? '';
  if (tag[1] !== '-' || !allowed.includes(p) || tag.length < 3) {
    const forms = scheme === 'IOBES' ? 'O, B-T, I-T, E-T or S-T' : 'O, B-T or I-T';
    throw new LenguaError(`${where}: tag ${JSON.stringify(tag)} is not a ${scheme} tag (expected ${forms})`);
  }
  return { prefix: p as Tag['prefix'], type: tag.slice(2) };
}

function endsBefore(prev: Tag, cur: Tag): boolean {
  if (prev.prefix === 'E' || prev.prefix === 'S') return true;
  if ((prev.prefix === 'B' || prev.prefix === 'I') && (cur.prefix === 'B' || cur.prefix === 'S' || cur.prefix === 'O')) return true;
  return prev.prefix !== 'O' && prev.type !== cur.type;
}

function startsAt(prev: Tag, cur: Tag): boolean {
  if (cur.prefix === 'B' || cur.prefix === 'S') return true;
  if ((cur.prefix === 'I' || cur.prefix === 'E') && (prev.prefix === 'O' || prev.prefix === 'E' || prev.prefix === 'S')) return true;
  return cur.prefix !== 'O' && prev.type !== cur.type;
}

const OUTSIDE: Tag = { prefix: 'O', type: '' };

/** conlleval / seqeval-default chunks of one sentence. */
function lenientEntities(tags: Tag[], sentence: number): Entity[] {
  const out: Entity[] = [];
  let prev = OUTSIDE;
  let begin = -1;
  for (let i = 0; i <= tags.length; i++) {
    const cur = tags[i] ?? OUTSIDE;
    if (begin >= 0 && endsBefore(prev, cur)) {
      out.push({ type: prev.type, sentence, start: begin, end: i - 1 });
      begin = -1;
    }
    if (startsAt(prev, cur)) begin = i;
    prev = cur;
  }
  return out;
}

/** Well-formed entities only (strict mode; rules at the top of the file). */
function strictEntities(tags: Tag[], sentence: number, scheme: TagScheme): Entity[] {
  const out: Entity[] = [];
  let i = 0;
  while (i < tags.length) {
    const t = tags[i] as Tag;
    const prev = tags[i - 1] ?? OUTSIDE;
    if (t.prefix === 'O') {
      i++;
      continue;
    }
    let legalStart: boolean;
    if (scheme === 'IOB2') legalStart = t.prefix === 'B';
    else if (scheme === 'IOBES') legalStart = t.prefix === 'B' || t.prefix === 'S';
    else legalStart = t.prefix === 'I' ? prev.type !== t.type || prev.prefix === 'O' : prev.prefix !== 'O' && prev.type === t.type;
    // the fragment: this token plus the following I-T tokens of the same type
    let j = i + 1;
    while (j < tags.length && (tags[j] as Tag).prefix === 'I' && (tags[j] as Tag).type === t.type) j++;
    if (scheme === 'IOBES') {
      if (t.prefix === 'S') {
        out.push({ type: t.type, sentence, start: i, end: i });
        i++;
        continue;
      }
      const closer = tags[j];
      if (legalStart && closer !== undefined && closer.prefix === 'E' && closer.type === t.type) {
        out.push({ type: t.type, sentence, start: i, end: j });
        i = j + 1;
        continue;
      }
      // an E-T directly after a stray run is part of the dropped fragment
      i = closer !== undefined && closer.prefix === 'E' && closer.type === t.type ? j + 1 : Math.max(j, i + 1);
      continue;
    }
    if (legalStart) out.push({ type: t.type, sentence, start: i, end: j - 1 });
    i = j;
  }
  return out;
}

/** Decodes entities from tag sequences (one array of tags per sentence). */
export function extractEntities(sentences: ReadonlyArray<readonly string[]>, options: EntityOptions, name = 'tags'): Entity[] {
  const scheme = checkScheme(options);
  const strict = options.mode === 'strict';
  const out: Entity[] = [];
  sentences.forEach((sent, s) => {
    if (!Array.isArray(sent)) throw new LenguaError(`${name}[${s}] is not an array of tags`);
    const tags = sent.map((t, i) => parseTag(t, scheme, `${name}[${s}][${i}]`));
    out.push(...(strict ? strictEntities(tags, s, scheme) : lenientEntities(tags, s)));
  });
  return out;
}

function checkScheme(options: EntityOptions): TagScheme {
  const scheme = options?.scheme;
  if (scheme !== 'IOB1' && scheme !== 'IOB2' && scheme !== 'IOBES') {
    throw new LenguaError(`scheme must be 'IOB1', 'IOB2' or 'IOBES' (got ${String(scheme)})`, { field: 'scheme' });
  }
  if (options.mode !== undefined && options.mode !== 'default' && options.mode !== 'strict') {
    throw new LenguaError(`mode must be 'default' or 'strict' (got ${String(options.mode)})`, { field: 'mode' });
  }
  return scheme;
}

function scores(correct: number, predicted: number, support: number): TypeScores {
  // zero denominators give 0, as conlleval and seqeval's default zero_division
  const precision = predicted === 0 ? 0 : correct / predicted;
  const recall = support === 0 ? 0 : correct / support;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, support, predicted, correct };
}

/**
 * Entity-level precision, recall and F1 per type, micro, macro and weighted, plus token accuracy.
 * `trueTags[s]` and `predTags[s]` are the tags of sentence s and must have the same lengths.
 */
export function entityMetrics(trueTags: ReadonlyArray<readonly string[]>, predTags: ReadonlyArray<readonly string[]>, options: EntityOptions): EntityMetrics {
  checkScheme(options);
  if (!Array.isArray(trueTags) || !Array.isArray(predTags)) throw new LenguaError('trueTags and predTags must be arrays of sentences (arrays of tags)');
  if (trueTags.length !== predTags.length) {
    throw new LenguaError(`trueTags has ${trueTags.length} sentences but predTags has ${predTags.length}: they must be the same length`);
  }
  let tokens = 0;
  let sameTags = 0;
  trueTags.forEach((t, s) => {
    const p = predTags[s] as readonly string[];
    if (!Array.isArray(t) || !Array.isArray(p)) throw new LenguaError(`sentence ${s}: tags must be arrays of strings`);
    if (t.length !== p.length) throw new LenguaError(`sentence ${s}: trueTags has ${t.length} tokens but predTags has ${p.length}`);
    tokens += t.length;
    if (tokens > MAX_TOKENS) throw new LenguaError(`more than ${MAX_TOKENS} tokens`);
    for (let i = 0; i < t.length; i++) if (t[i] === p[i]) sameTags++;
  });
  if (tokens === 0) throw new LenguaError('no tokens to score: trueTags is empty');
  const gold = extractEntities(trueTags, options, 'trueTags');
  const guess = extractEntities(predTags, options, 'predTags');
  const key = (e: Entity): string => `${e.sentence}\u0000${e.start}\u0000${e.end}\u0000${e.type}`;
  const goldKeys = new Set(gold.map(key));
  const types = [...new Set([...gold.map((e) => e.type), ...guess.map((e) => e.type)])].sort();
  const count = (list: Entity[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const e of list) m.set(e.type, (m.get(e.type) ?? 0) + 1);
    return m;
  };
  const support = count(gold);
  const predicted = count(guess);
  const correct = count(guess.filter((e) => goldKeys.has(key(e))));
  const perType: Record<string, TypeScores> = {};
  for (const t of types) perType[t] = scores(correct.get(t) ?? 0, predicted.get(t) ?? 0, support.get(t) ?? 0);
  const micro = scores(
    [...correct.values()].reduce((a, b) => a + b, 0),
    guess.length,
    gold.length,
  );
  const rows = types.map((t) => perType[t] as TypeScores);
  const avg = (weights: number[] | null): EntityScores => {
    if (rows.length === 0) return { precision: 0, recall: 0, f1: 0, support: 0 };
    const w = weights ?? rows.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    const m = (f: (r: TypeScores) => number): number => (total === 0 ? 0 : rows.reduce((s, r, i) => s + f(r) * (w[i] as number), 0) / total);
    return { precision: m((r) => r.precision), recall: m((r) => r.recall), f1: m((r) => r.f1), support: gold.length };
  };
  return {
    perType,
    micro,
    macro: avg(null),
    weighted: avg(rows.map((r) => r.support)),
    accuracy: sameTags / tokens,
    tokens,
  };
}
