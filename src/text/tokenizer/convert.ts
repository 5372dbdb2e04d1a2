import { LenguaError } from '../../errors.js';

/**
 * Builds a tokenizer.json object from the slow-tokenizer files, as transformers'
 * `convert_slow_tokenizer` does (BertConverter, GPT2Converter, RobertaConverter), so a folder that
 * only holds `vocab.txt` or `vocab.json` + `merges.txt` loads like a fast tokenizer.
 */

type Json = Record<string, unknown>;

/** The string form of a special-token entry of tokenizer_config.json / special_tokens_map.json. */
export function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return null;
}

function tokenFlags(v: unknown): { lstrip: boolean; rstrip: boolean; normalized: boolean | undefined; single_word: boolean } {
  const o = typeof v === 'object' && v !== null ? (v as Json) : {};
  return {
    lstrip: o.lstrip === true,
    rstrip: o.rstrip === true,
    normalized: typeof o.normalized === 'boolean' ? o.normalized : undefined,
    single_word: o.single_word === true,
  };
}

/** Parses vocab.txt: one token per line, id = line number (0-based). */
export function parseVocabTxt(text: string, file: string): Record<string, number> {
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const tok = line.replace(/\r$/, '');
    // A duplicated token keeps its last line, as transformers' load_vocab (a dict) does.
    vocab[tok] = i;
  });
  if (lines.length === 0) throw new LenguaError('vocab.txt is empty', { file });
  return vocab;
}

interface SpecialSpec {
  content: string;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  single_word: boolean;
}

function collectSpecials(config: Json, defaults: Record<string, string>, normalizedDefault: boolean): Map<string, SpecialSpec> {
  const out = new Map<string, SpecialSpec>();
  const keys = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];
  for (const key of keys) {
    const raw = key in config ? config[key] : defaults[key];
    const content = tokenContent(raw);
    if (content === null) continue;
    const f = tokenFlags(raw);
    if (!out.has(content)) out.set(content, { content, lstrip: f.lstrip, rstrip: f.rstrip, single_word: f.single_word, normalized: f.normalized ?? normalizedDefault });
  }
  const extra = config.additional_special_tokens;
  if (Array.isArray(extra)) {
    for (const raw of extra) {
      const content = tokenContent(raw);
      if (content === null || out.has(content)) continue;
      const f = tokenFlags(raw);
      out.set(content, { content, lstrip: f.lstrip, rstrip: f.rstrip, single_word: f.single_word, normalized: f.normalized ?? normalizedDefault });
    }
  }
  return out;
}

function addedTokens(specials: Map<string, SpecialSpec>, vocab: Record<string, number>, file: string, addedIds: Json = {}): Json[] {
  const out: Json[] = [];
  // A loop, not Math.max(...values): spreading a 250k-entry vocabulary overflows the call stack.
  let next = 0;
  for (const id of Object.values(vocab)) if (id >= next) next = id + 1;
  for (const id of Object.values(addedIds)) if (Number.isInteger(id) && (id as number) >= next) next = (id as number) + 1;
  for (const s of specials.values()) {
    let id = vocab[s.content];
    const listed = Object.hasOwn(addedIds, s.content) ? addedIds[s.content] : undefined;
    if (id === undefined && Number.isInteger(listed) && (listed as number) >= 0) {
      // A special token past the vocabulary keeps its id from added_tokens.json, as transformers loads it.
      id = listed as number;
    } else if (id === undefined) {
      // transformers appends special tokens missing from the vocabulary after it.
      id = next++;
      vocab[s.content] = id;
    }
    out.push({ id, content: s.content, single_word: s.single_word, lstrip: s.lstrip, rstrip: s.rstrip, normalized: s.normalized, special: true });
  }
  if (out.length === 0 && Object.keys(vocab).length === 0) throw new LenguaError('empty vocabulary', { file });
  return out.sort((a, b) => (a.id as number) - (b.id as number));
}

/** BertConverter: vocab.txt + tokenizer_config.json options. */
export function convertBert(vocab: Record<string, number>, config: Json, file: string, addedIds: Json = {}): Json {
  const specials = collectSpecials(
    config,
    { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' },
    false,
  );
  const added = addedTokens(specials, vocab, file, addedIds);
  const cls = tokenContent(config.cls_token) ?? '[CLS]';
  const sep = tokenContent(config.sep_token) ?? '[SEP]';
  const unk = tokenContent(config.unk_token) ?? '[UNK]';
  const doLower = config.do_lower_case !== undefined ? Boolean(config.do_lower_case) : true;
  const clsId = vocab[cls];
  const sepId = vocab[sep];
  if (clsId === undefined || sepId === undefined) throw new LenguaError(`vocabulary has no ${cls} or ${sep} token`, { file });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars !== undefined ? Boolean(config.tokenize_chinese_chars) : true,
      strip_accents: config.strip_accents === undefined ? null : config.strip_accents,
      lowercase: doLower,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sep, type_id: 1 } },
      ],
      special_tokens: {
        [cls]: { id: cls, ids: [clsId], tokens: [cls] },
        [sep]: { id: sep, ids: [sepId], tokens: [sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** Reads merges.txt (optional `#version` header, one `a b` pair per line). */
export function parseMerges(text: string, file: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (i === 0 && line.startsWith('#version')) return;
    if (line.length === 0) return;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new LenguaError(`expected two symbols separated by one space, got ${JSON.stringify(line.slice(0, 80))}`, { file, line: i + 1 });
    out.push(line);
  });
  return out;
}

/** GPT2Converter / RobertaConverter: vocab.json + merges.txt. */
export function convertByteLevelBpe(
  vocab: Record<string, number>,
  merges: string[],
  config: Json,
  kind: 'gpt2' | 'roberta',
  file: string,
  addedIds: Json = {},
): Json {
  const addPrefixSpace = Boolean(config.add_prefix_space);
  const model = {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: '',
    end_of_word_suffix: '',
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab,
    merges,
  };
  if (kind === 'gpt2') {
    const specials = collectSpecials(config, { bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' }, true);
    const added = addedTokens(specials, vocab, file, addedIds);
    let post: Json = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
    if (config.add_bos_token === true) {
      const bos = tokenContent(config.bos_token) ?? '<|endoftext|>';
      const bosId = vocab[bos];
      if (bosId === undefined) throw new LenguaError(`vocabulary has no ${bos} token`, { file });
      post = {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
      };
    }
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
      post_processor: post,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model,
    };
  }
  const specials = collectSpecials(
    config,
    { bos_token: '<s>', eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '<unk>', pad_token: '<pad>', mask_token: { content: '<mask>', lstrip: true, normalized: false } as unknown as string },
    true,
  );
  // RobertaTokenizer makes <mask> strip the space on its left unless the config says otherwise.
  const mask = tokenContent(config.mask_token) ?? '<mask>';
  const m = specials.get(mask);
  if (m && (typeof config.mask_token !== 'object' || config.mask_token === null)) {
    m.lstrip = true;
    m.normalized = false;
  }
  const added = addedTokens(specials, vocab, file, addedIds);
  const cls = tokenContent(config.cls_token) ?? '<s>';
  const sep = tokenContent(config.sep_token) ?? '</s>';
  const clsId = vocab[cls];
  const sepId = vocab[sep];
  if (clsId === undefined || sepId === undefined) throw new LenguaError(`vocabulary has no ${cls} or ${sep} token`, { file });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: [sep, sepId], cls: [cls, clsId], trim_offsets: config.trim_offsets !== false, add_prefix_space: addPrefixSpace },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model,
  };
}

/**
 * Tokens a slow tokenizer folder adds through added_tokens.json ({token: id}); transformers loads them
 * as normalized, non-special added tokens.
 */
export function appendAddedTokensJson(json: Json, added: Json, file: string): void {
  const list = (json.added_tokens ?? []) as Json[];
  const have = new Set(list.map((t) => t.content));
  for (const [content, id] of Object.entries(added)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new LenguaError('expected a non-negative integer id', { file, field: content });
    if (have.has(content)) continue;
    list.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
  }
  list.sort((a, b) => (a.id as number) - (b.id as number));
  json.added_tokens = list;
}
