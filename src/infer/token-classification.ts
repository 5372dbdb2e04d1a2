/**
 * `token-classification` (NER): one label per token, or entities grouped with transformers'
 * `aggregation_strategy` semantics (none, simple, first, average, max), with `start`/`end` as UTF-16
 * character offsets into the ORIGINAL text (from the tokenizer's offsets; Transformers.js leaves them out).
 *
 * The grouping follows transformers' TokenClassificationPipeline step by step (gather_pre_entities,
 * aggregate_words, group_entities): a token is a sub-word when a WordPiece-style tokenizer (one with a
 * `continuing_subword_prefix`) shows a token longer than its text, and otherwise when the character before it
 * is not a space; B-/I- prefixes start and continue groups.
 */
import { LenguaError } from '../errors.js';
import { readTokenizerFiles, type PreTrainedTokenizer } from '../text/index.js';
import type { ModelSource } from './model-folder.js';
import type { OnnxSession } from './session.js';
import { callable, checkTexts, EncoderPipeline, labelsOf, softmax, type PipelineOptions } from './base.js';

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';
export const AGGREGATION_STRATEGIES: readonly AggregationStrategy[] = ['none', 'simple', 'first', 'average', 'max'];

export interface TokenClassificationOptions {
  /** Default 'none' (one entry per token), as in transformers. */
  aggregationStrategy?: AggregationStrategy;
  /** Labels (or entity groups) left out. Default ['O']. */
  ignoreLabels?: string[];
}

/** aggregationStrategy 'none': one token. */
export interface TokenEntity {
  entity: string;
  score: number;
  /** Position of the token in the encoded sequence (special tokens counted). */
  index: number;
  word: string;
  start: number;
  end: number;
}

/** Any other strategy: a group of tokens (or words). */
export interface EntityGroup {
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

/** A token before aggregation: its label probabilities and where it lies. */
export interface PreEntity {
  word: string;
  /** Token id (to decode groups). */
  id: number;
  scores: number[];
  start: number;
  end: number;
  index: number;
  isSubword: boolean;
}

interface Scored {
  entity: string;
  score: number;
  word: string;
  ids: number[];
  start: number;
  end: number;
  index?: number;
  scores?: number[];
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** transformers' get_tag: B-X starts X, I-X continues X, a bare label continues itself. */
function getTag(name: string): [string, string] {
  if (name.startsWith('B-')) return ['B', name.slice(2)];
  if (name.startsWith('I-')) return ['I', name.slice(2)];
  return ['I', name];
}

/**
 * Aggregates the tokens of one text; `toString` joins token ids as the tokenizer's decoder does
 * (transformers' convert_tokens_to_string).
 */
export function aggregate(pre: PreEntity[], labels: string[], strategy: AggregationStrategy, toString: (ids: number[]) => string): Array<TokenEntity | EntityGroup> {
  let entities: Scored[];
  if (strategy === 'none' || strategy === 'simple') {
    entities = pre.map((p) => {
      const k = argmax(p.scores);
      return { entity: labels[k]!, score: p.scores[k]!, index: p.index, word: p.word, ids: [p.id], start: p.start, end: p.end };
    });
  } else {
    entities = [];
    let group: PreEntity[] = [];
    const flush = (): void => {
      if (group.length > 0) entities.push(aggregateWord(group, labels, strategy, toString));
    };
    for (const p of pre) {
      if (group.length > 0 && p.isSubword) group.push(p);
      else {
        flush();
        group = [p];
      }
    }
    flush();
  }
  if (strategy === 'none') return entities.map((e) => ({ entity: e.entity, score: e.score, index: e.index!, word: e.word, start: e.start, end: e.end }));
  return groupEntities(entities, toString);
}

function aggregateWord(group: PreEntity[], labels: string[], strategy: AggregationStrategy, toString: (ids: number[]) => string): Scored {
  let scores: number[];
  if (strategy === 'first') scores = group[0]!.scores;
  else if (strategy === 'max') {
    let best = group[0]!;
    for (const p of group) if (Math.max(...p.scores) > Math.max(...best.scores)) best = p;
    scores = best.scores;
  } else {
    scores = group[0]!.scores.map((_, k) => group.reduce((s, p) => s + p.scores[k]!, 0) / group.length);
  }
  const k = argmax(scores);
  const ids = group.map((p) => p.id);
  return { entity: labels[k]!, score: scores[k]!, word: toString(ids), ids, start: group[0]!.start, end: group[group.length - 1]!.end };
}

function groupEntities(entities: Scored[], toString: (ids: number[]) => string): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let current: Scored[] = [];
  const flush = (): void => {
    if (current.length === 0) return;
    const first = current[0]!.entity;
    const dash = first.indexOf('-');
    groups.push({
      entity_group: dash >= 0 ? first.slice(dash + 1) : first,
      score: current.reduce((s, e) => s + e.score, 0) / current.length,
      word: toString(current.flatMap((e) => e.ids)),
      start: current[0]!.start,
      end: current[current.length - 1]!.end,
    });
  };
  for (const e of entities) {
    if (current.length === 0) {
      current = [e];
      continue;
    }
    const [bi, tag] = getTag(e.entity);
    const [, lastTag] = getTag(current[current.length - 1]!.entity);
    if (tag === lastTag && bi !== 'B') current.push(e);
    else {
      flush();
      current = [e];
    }
  }
  flush();
  return groups;
}

export class TokenClassificationPipeline extends EncoderPipeline {
  readonly task = 'token-classification';
  /** The tokenizer marks sub-words with a prefix (WordPiece's `##`): transformers' exact sub-word test applies. */
  private readonly subwordPrefix: boolean;

  private constructor(model: ModelSource, tokenizer: PreTrainedTokenizer, session: OnnxSession, opts: PipelineOptions) {
    super(model, tokenizer, session, 'logits', opts);
    const json = readTokenizerFiles(this.model.dir).json as { model?: { continuing_subword_prefix?: unknown } };
    this.subwordPrefix = typeof json.model?.continuing_subword_prefix === 'string' && json.model.continuing_subword_prefix !== '';
  }

  static async create(model: string, opts: PipelineOptions = {}): Promise<TokenClassificationPipeline & TokenClassificationPipeline['run']> {
    const { source, tokenizer, session } = await EncoderPipeline.load(model, 'token-classification', opts);
    try {
      return callable(new TokenClassificationPipeline(source, tokenizer, session, opts));
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  run(input: string, opts?: TokenClassificationOptions): Promise<Array<TokenEntity | EntityGroup>>;
  run(input: string[], opts?: TokenClassificationOptions): Promise<Array<Array<TokenEntity | EntityGroup>>>;
  async run(input: string | string[], opts: TokenClassificationOptions = {}): Promise<Array<TokenEntity | EntityGroup> | Array<Array<TokenEntity | EntityGroup>>> {
    const { texts, single } = checkTexts(input);
    const strategy = opts.aggregationStrategy ?? 'none';
    if (!AGGREGATION_STRATEGIES.includes(strategy)) throw new LenguaError(`aggregationStrategy must be one of ${AGGREGATION_STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`, { field: 'aggregationStrategy' });
    const ignore = new Set(opts.ignoreLabels ?? ['O']);
    const enc = this.encode(texts);
    const tok: PreTrainedTokenizer = this.tokenizer;
    const toString = (ids: number[]): string => tok.decode(ids, { cleanUpTokenizationSpaces: false });
    const out: Array<Array<TokenEntity | EntityGroup>> = new Array<Array<TokenEntity | EntityGroup>>(texts.length);
    let labels: string[] | null = null;
    await this.runBatches(enc, (i, t, r, seq) => {
      const width = t.dims[2]!;
      labels ??= labelsOf(this.model.config, width, this.model.dir + '/config.json');
      const e = enc[i]!;
      const text = texts[i]!;
      const pre: PreEntity[] = [];
      for (let k = 0; k < e.ids.length; k++) {
        if (e.specialTokensMask[k] === 1) continue;
        const [start, end] = e.offsets[k]!;
        const ref = text.slice(start, end);
        let word = e.tokens[k]!;
        let isSubword = this.subwordPrefix ? word.length !== ref.length : start > 0 && !text.slice(start - 1, start + 1).includes(' ');
        if (e.ids[k] === tok.unkTokenId) {
          word = ref;
          isSubword = false;
        }
        const base = (r * seq + k) * width;
        pre.push({ word, id: e.ids[k]!, scores: softmax(t.data.subarray(base, base + width)), start, end, index: k, isSubword });
      }
      out[i] = aggregate(pre, labels, strategy, toString).filter((x) => !ignore.has('entity' in x ? x.entity : x.entity_group));
    });
    return single ? out[0]! : out;
  }
}
