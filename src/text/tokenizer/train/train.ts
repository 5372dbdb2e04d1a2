/**
 * Trains a tokenizer from text files and writes it as a tokenizer folder (tokenizer.json,
 * tokenizer_config.json, special_tokens_map.json, and the slow files transformers' classes read where
 * they can describe it) through `PreTrainedTokenizer.savePretrained`, after loading the result with
 * `@huggingface/tokenizers`: what is written is known to load.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LenguaError } from '../../../errors.js';
import { PreTrainedTokenizer } from '../tokenizer.js';
import { trainBpe } from './bpe.js';
import { trainUnigram } from './unigram.js';
import { readCorpus, type FileReader } from './corpus.js';
import { WordCounter } from './words.js';
import { BYTE_LEVEL_POST, addedToken, bertTemplate, byteLevelAlphabet, pipelineFor, specialRoles, type TrainedKind } from './pipeline-spec.js';

type Json = Record<string, unknown>;

/** Largest vocabulary a training may ask for. */
export const MAX_VOCAB_SIZE = 1_000_000;
/** Most special tokens, and the longest one. */
export const MAX_SPECIAL_TOKENS = 1000;
export const MAX_SPECIAL_TOKEN_CHARS = 100;

export interface TrainTokenizerOptions {
  model: TrainedKind;
  vocabSize: number;
  /** Fewest occurrences of a pair to merge (BPE, WordPiece; default 2 as the Python classes). */
  minFrequency?: number;
  /** Default: bpe `<|endoftext|>`; wordpiece `[PAD] [UNK] [CLS] [SEP] [MASK]`; unigram `<unk>`. */
  specialTokens?: readonly string[];
  /** Default: true for wordpiece (BertWordPieceTokenizer), false otherwise. */
  lowercase?: boolean;
  /** WordPiece: characters kept in the alphabet (default 1000, as BertWordPieceTokenizer). */
  limitAlphabet?: number;
  /** Reads files that are not plain text (the CLI: .csv/.tsv/.jsonl/.json); null from it means plain text. */
  reader?: FileReader;
  /** Progress messages (the CLI writes them to stderr). */
  onProgress?: (message: string) => void;
}

export interface TrainedTokenizer {
  kind: TrainedKind;
  json: Json;
  config: Json;
  stats: { texts: number; bytes: number; words: number; vocabSize: number; seconds: number };
}

export const DEFAULT_SPECIAL_TOKENS: Record<TrainedKind, readonly string[]> = {
  bpe: ['<|endoftext|>'],
  wordpiece: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
  unigram: ['<unk>'],
};
const UNK: Record<TrainedKind, string | null> = { bpe: null, wordpiece: '[UNK]', unigram: '<unk>' };

function checkOptions(o: TrainTokenizerOptions): readonly string[] {
  if (!['bpe', 'wordpiece', 'unigram'].includes(o.model)) throw new LenguaError(`unknown model ${JSON.stringify(o.model)} (bpe, wordpiece or unigram)`, { field: 'model' });
  if (!Number.isInteger(o.vocabSize) || o.vocabSize < 1 || o.vocabSize > MAX_VOCAB_SIZE) {
    throw new LenguaError(`vocab size must be an integer in [1, ${MAX_VOCAB_SIZE}] (MAX_VOCAB_SIZE), got ${o.vocabSize}`, { field: 'vocab_size' });
  }
  if (o.minFrequency !== undefined && (!Number.isInteger(o.minFrequency) || o.minFrequency < 0)) {
    throw new LenguaError(`min frequency must be a non-negative integer, got ${o.minFrequency}`, { field: 'min_frequency' });
  }
  if (o.limitAlphabet !== undefined && (!Number.isInteger(o.limitAlphabet) || o.limitAlphabet < 1)) {
    throw new LenguaError(`limit alphabet must be a positive integer, got ${o.limitAlphabet}`, { field: 'limit_alphabet' });
  }
  const specials = [...(o.specialTokens ?? DEFAULT_SPECIAL_TOKENS[o.model])];
  const unk = UNK[o.model];
  // WordPiece needs its unknown token in the vocabulary; Unigram's trainer adds it itself.
  if (o.model === 'wordpiece' && unk !== null && !specials.includes(unk)) specials.unshift(unk);
  if (specials.length > MAX_SPECIAL_TOKENS) throw new LenguaError(`more than ${MAX_SPECIAL_TOKENS} special tokens`, { field: 'special_tokens' });
  const seen = new Set<string>();
  for (const t of specials) {
    if (t === '' || t.length > MAX_SPECIAL_TOKEN_CHARS) {
      throw new LenguaError(`a special token must have 1 to ${MAX_SPECIAL_TOKEN_CHARS} characters, got ${JSON.stringify(t.slice(0, 120))}`, { field: 'special_tokens' });
    }
    if (seen.has(t)) throw new LenguaError(`special token ${JSON.stringify(t)} is given twice`, { field: 'special_tokens' });
    seen.add(t);
  }
  if (specials.length >= o.vocabSize) throw new LenguaError(`vocab size ${o.vocabSize} leaves no room beside ${specials.length} special tokens`, { field: 'vocab_size' });
  return specials;
}

/** Trains a tokenizer on `files` (one text a line, unless `reader` reads them). */
export async function trainTokenizer(files: readonly string[], o: TrainTokenizerOptions): Promise<TrainedTokenizer> {
  const t0 = performance.now();
  const specials = checkOptions(o);
  const progress = o.onProgress ?? ((): void => undefined);
  const lowercase = o.lowercase ?? o.model === 'wordpiece';
  const pipeline = pipelineFor(o.model, { lowercase });
  const counter = new WordCounter(pipeline);
  const corpus = await readCorpus(files, (text) => counter.add(text), {
    ...(o.reader !== undefined ? { reader: o.reader } : {}),
    onFile: (file, texts, bytes) => progress(`read ${file}: ${texts} texts, ${bytes} bytes`),
  });
  const words = counter.counts;
  if (words.size === 0) throw new LenguaError('the training files hold no text', { file: files[0]! });
  progress(`${words.size} distinct words from ${corpus.texts} texts; training ${o.model}`);

  const added: Json[] = [];
  let model: Json;
  let post: Json | null = null;
  const ids = new Map<string, number>();
  if (o.model === 'unigram') {
    const r = trainUnigram(words, { vocabSize: o.vocabSize, specialTokens: specials, unkToken: UNK.unigram!, onProgress: progress });
    r.vocab.forEach(([t], i) => ids.set(t, i));
    model = { type: 'Unigram', unk_id: r.unkId, vocab: r.vocab, byte_fallback: false };
  } else {
    const wp = o.model === 'wordpiece';
    const r = trainBpe(words, {
      vocabSize: o.vocabSize,
      minFrequency: o.minFrequency ?? 2,
      specialTokens: specials,
      ...(wp ? { continuingSubwordPrefix: '##', limitAlphabet: o.limitAlphabet ?? 1000 } : { initialAlphabet: byteLevelAlphabet() }),
      ...(o.limitAlphabet !== undefined ? { limitAlphabet: o.limitAlphabet } : {}),
      onMerge: (n) => progress(`${n} merges`),
    });
    const vocab: Record<string, number> = {};
    r.vocab.forEach((t, i) => {
      vocab[t] = i;
      ids.set(t, i);
    });
    if (wp) {
      model = { type: 'WordPiece', unk_token: UNK.wordpiece, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab };
      if (ids.has('[CLS]') && ids.has('[SEP]')) post = bertTemplate(['[CLS]', ids.get('[CLS]')!], ['[SEP]', ids.get('[SEP]')!]);
    } else {
      model = {
        type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
        fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: r.merges,
      };
      post = BYTE_LEVEL_POST;
    }
  }
  for (const t of specials) added.push(addedToken(ids.get(t)!, t));
  const json: Json = {
    version: '1.0', truncation: null, padding: null, added_tokens: added,
    normalizer: pipeline.normalizer, pre_tokenizer: pipeline.preTokenizer, post_processor: post, decoder: pipeline.decoder, model,
  };
  const { roles, additional } = specialRoles(specials, UNK[o.model]);
  const config: Json = { ...roles };
  if (additional.length > 0) config.additional_special_tokens = additional;
  const seconds = (performance.now() - t0) / 1000;
  return { kind: o.model, json, config, stats: { texts: corpus.texts, bytes: corpus.bytes, words: words.size, vocabSize: ids.size, seconds } };
}

/** Files a tokenizer folder may hold: `--overwrite` replaces a folder of only these. */
const TOKENIZER_FILES = new Set(['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'added_tokens.json']);

/**
 * Before training: `out` must be absent, empty, or (with `overwrite`) a folder holding only tokenizer
 * files, so that replacing it loses nothing else.
 */
export function checkOutputFolder(out: string, overwrite: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new LenguaError('--out names a file; it must be a folder', { file: out, field: 'out' });
  const entries = readdirSync(out);
  if (entries.length === 0) return;
  if (!overwrite) throw new LenguaError('--out is not empty; pass --overwrite to replace the tokenizer in it, or choose another folder', { file: out, field: 'out' });
  const other = entries.filter((e) => !TOKENIZER_FILES.has(e));
  if (other.length > 0) {
    throw new LenguaError(`--out holds files that are not a tokenizer's (${other.slice(0, 5).join(', ')}${other.length > 5 ? ', …' : ''}); --overwrite replaces only a tokenizer folder`, { file: out, field: 'out' });
  }
}

/**
 * Writes the trained tokenizer to `out`: into a new sibling folder first, loaded back through
 * `@huggingface/tokenizers`, then renamed into place (a reader never sees half a tokenizer; the old
 * folder, with --overwrite, is removed only after). Returns the files written, and why the slow files
 * (vocab.txt, vocab.json + merges.txt) were not, if they were not.
 */
export function saveTrainedTokenizer(out: string, trained: TrainedTokenizer, overwrite = false): { written: string[]; skipped: string | null } {
  const target = resolve(out);
  checkOutputFolder(target, overwrite);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const stage = join(dirname(target), `.${basename(target)}.${tag}.tmp`);
  mkdirSync(stage, { recursive: true });
  try {
    const tok = new PreTrainedTokenizer({ dir: stage, json: trained.json, config: trained.config, specialTokensMap: null, source: 'tokenizer.json' });
    const report = tok.savePretrained(stage);
    if (existsSync(target)) {
      const old = join(dirname(target), `.${basename(target)}.${tag}.old`);
      renameSync(target, old);
      renameSync(stage, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(stage, target);
    }
    return { written: report.written, skipped: report.skipped };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
