/**
 * Checks the parts of a tokenizer.json that `@huggingface/tokenizers` trusts without looking: the
 * model's vocabulary and merges, the added tokens and the padding. The library turns a vocabulary id
 * that is not an integer into an "id" of any type, a merge that is not a string into a TypeError deep
 * in encode, and so on; Lengua refuses such a file at load with a LenguaError naming the field.
 * Component types the library does not know (normalizer, pre_tokenizer, decoder, ...) are refused by
 * the library itself when the tokenizer is built.
 */
import { LenguaError } from '../../errors.js';
import { preview } from '../../hub/json.js';

type Json = Record<string, unknown>;

/** Model types the library implements (WordLevel is read as its plain vocabulary model). */
const MODEL_TYPES = ['WordPiece', 'BPE', 'Unigram', 'WordLevel'];
/** Ids are u32 in the Rust library. */
const MAX_ID = 2 ** 32 - 1;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_ID;

export function checkTokenizerJson(json: Json, file: string): void {
  const fail = (field: string, message: string): never => {
    throw new LenguaError(message, { file, field });
  };
  const optional = (v: unknown, field: string, kind: 'string' | 'boolean'): void => {
    if (v !== undefined && v !== null && typeof v !== kind) fail(field, `must be a ${kind} or null, got ${preview(v)}`);
  };

  const model = json.model;
  if (!isObject(model)) return fail('model', 'must be an object');
  const type = model.type;
  if (type !== undefined && (typeof type !== 'string' || !MODEL_TYPES.includes(type))) {
    fail('model.type', `unsupported model type ${preview(type)} (supported: ${MODEL_TYPES.join(', ')})`);
  }
  const vocab = model.vocab;
  if (type === 'Unigram' || (type === undefined && Array.isArray(vocab))) {
    if (!Array.isArray(vocab) || vocab.length === 0) return fail('model.vocab', 'a Unigram vocabulary must be a non-empty list of [token, score]');
    vocab.forEach((entry, i) => {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
        fail(`model.vocab[${i}]`, `must be [token, score], got ${preview(entry)}`);
      }
    });
    const unk = model.unk_id;
    if (unk !== undefined && unk !== null && !(Number.isInteger(unk) && (unk as number) >= 0 && (unk as number) < vocab.length)) {
      fail('model.unk_id', `must be null or an index into the vocabulary (0..${vocab.length - 1}), got ${preview(unk)}`);
    }
  } else {
    if (!isObject(vocab)) return fail('model.vocab', `must be an object of token -> id, got ${preview(vocab)}`);
    for (const [token, id] of Object.entries(vocab)) {
      if (!isId(id)) fail(`model.vocab.${token}`, `id must be an integer in [0, ${MAX_ID}], got ${preview(id)}`);
    }
    for (const key of ['unk_token', 'continuing_subword_prefix', 'end_of_word_suffix', 'continuing_subword_suffix']) optional(model[key], `model.${key}`, 'string');
    const maxChars = model.max_input_chars_per_word;
    if (maxChars !== undefined && maxChars !== null && !(Number.isSafeInteger(maxChars) && (maxChars as number) > 0)) {
      fail('model.max_input_chars_per_word', `must be a positive integer, got ${preview(maxChars)}`);
    }
  }
  if (type === 'BPE') checkMerges(model.merges, fail);

  const added = json.added_tokens;
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added)) fail('added_tokens', `must be a list, got ${preview(added)}`);
    (added as unknown[]).forEach((t, i) => {
      const field = `added_tokens[${i}]`;
      if (!isObject(t)) return fail(field, `must be an object {id, content, ...}, got ${preview(t)}`);
      if (!isId(t.id)) fail(`${field}.id`, `must be an integer in [0, ${MAX_ID}], got ${preview(t.id)}`);
      if (typeof t.content !== 'string') fail(`${field}.content`, `must be a string, got ${preview(t.content)}`);
      for (const flag of ['single_word', 'lstrip', 'rstrip', 'normalized', 'special']) optional(t[flag], `${field}.${flag}`, 'boolean');
    });
  }

  const padding = json.padding;
  if (padding !== undefined && padding !== null) {
    if (!isObject(padding)) return fail('padding', `must be an object or null, got ${preview(padding)}`);
    for (const key of ['pad_id', 'pad_type_id']) {
      if (padding[key] !== undefined && !isId(padding[key])) fail(`padding.${key}`, `must be an integer in [0, ${MAX_ID}], got ${preview(padding[key])}`);
    }
    optional(padding.pad_token, 'padding.pad_token', 'string');
  }
}

/** BPE merges: all "a b" strings or all [a, b] pairs (the library reads the format off the first). */
function checkMerges(merges: unknown, fail: (field: string, message: string) => never): void {
  if (!Array.isArray(merges)) return fail('model.merges', `must be a list of merges, got ${preview(merges)}`);
  const pairs = Array.isArray(merges[0]);
  merges.forEach((m, i) => {
    const ok = pairs
      ? Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string'
      : typeof m === 'string' && m.split(' ').length === 2;
    if (!ok) fail(`model.merges[${i}]`, `must be ${pairs ? 'a pair [a, b] of strings like the first merge' : '"a b" (two symbols, one space) like the first merge'}, got ${preview(m)}`);
  });
}
