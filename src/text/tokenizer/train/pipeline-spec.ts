/**
 * The tokenizer.json pieces each trained kind uses, as the Python classes of `tokenizers` set them
 * (ByteLevelBPETokenizer, BertWordPieceTokenizer, SentencePieceUnigramTokenizer), written with the
 * library's field order so that Python `tokenizers` and `@huggingface/tokenizers` both read the file.
 *
 * Two deliberate differences: WordPiece gets TemplateProcessing `[CLS] $A [SEP] $B:1 [SEP]:1` (what
 * transformers' converter writes) instead of BertProcessing, and Unigram's normalizer is NFKC + the
 * double-space Replace without `Nmt` (which `@huggingface/tokenizers` cannot load; Nmt only removes
 * control characters and maps rare spaces).
 */
export type TrainedKind = 'bpe' | 'wordpiece' | 'unigram';

type Json = Record<string, unknown>;

export interface PipelineOptions {
  lowercase: boolean;
}

export interface Pipeline {
  normalizer: Json | null;
  preTokenizer: Json;
  decoder: Json;
}

export const METASPACE = '\u2581';

export function pipelineFor(kind: TrainedKind, opts: PipelineOptions): Pipeline {
  switch (kind) {
    case 'bpe':
      return {
        normalizer: opts.lowercase ? { type: 'Lowercase' } : null,
        preTokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      };
    case 'wordpiece':
      return {
        normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: opts.lowercase },
        preTokenizer: { type: 'BertPreTokenizer' },
        decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      };
    case 'unigram': {
      const steps: Json[] = [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }];
      if (opts.lowercase) steps.push({ type: 'Lowercase' });
      return {
        normalizer: { type: 'Sequence', normalizers: steps },
        preTokenizer: { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true },
        decoder: { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true },
      };
    }
  }
}

/** An `added_tokens` entry for a special token, in the library's field order. */
export function addedToken(id: number, content: string): Json {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** WordPiece's `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1` template. */
export function bertTemplate(cls: [string, number], sep: [string, number]): Json {
  const special = (id: string, typeId: number): Json => ({ SpecialToken: { id, type_id: typeId } });
  const seq = (id: string, typeId: number): Json => ({ Sequence: { id, type_id: typeId } });
  const tokens: Json = {};
  // Keys sorted: the Rust HashMap has no order, a file should.
  for (const [t, id] of [cls, sep].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) tokens[t] = { id: t, ids: [id], tokens: [t] };
  return {
    type: 'TemplateProcessing',
    single: [special(cls[0], 0), seq('A', 0), special(sep[0], 0)],
    pair: [special(cls[0], 0), seq('A', 0), special(sep[0], 0), seq('B', 1), special(sep[0], 1)],
    special_tokens: tokens,
  };
}

/** ByteLevelBPETokenizer's post-processor: offsets not trimmed. */
export const BYTE_LEVEL_POST: Json = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };

/** The 256 byte symbols of byte-level BPE (GPT-2's bytes_to_unicode), in byte order. */
export function byteLevelAlphabet(): string[] {
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out.push(String.fromCodePoint(printable ? b : 256 + n++));
  }
  return out;
}

/**
 * Which transformers role a special token plays, from its conventional spelling, for
 * tokenizer_config.json (`[CLS]` → cls_token...). GPT-2's `<|endoftext|>` is its bos, eos and unk.
 */
export function specialRoles(tokens: readonly string[], unk: string | null): { roles: Json; additional: string[] } {
  const byName: Record<string, string[]> = {
    '[UNK]': ['unk_token'], '<unk>': ['unk_token'],
    '[PAD]': ['pad_token'], '<pad>': ['pad_token'],
    '[CLS]': ['cls_token'], '[SEP]': ['sep_token'],
    '[MASK]': ['mask_token'], '<mask>': ['mask_token'],
    '<s>': ['bos_token'], '</s>': ['eos_token'],
    '<|endoftext|>': ['bos_token', 'eos_token', 'unk_token'],
  };
  const roles: Json = {};
  const additional: string[] = [];
  for (const t of tokens) {
    const r = Object.hasOwn(byName, t) ? byName[t]! : [];
    if (r.length === 0 && t !== unk) additional.push(t);
    for (const role of r) if (roles[role] === undefined) roles[role] = t;
  }
  if (unk !== null) roles.unk_token = unk;
  return { roles, additional };
}
