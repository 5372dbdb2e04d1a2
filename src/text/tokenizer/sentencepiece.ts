import { join } from 'node:path';
import { LenguaError } from '../../errors.js';
import { modelFileExists, readModelFile } from '../../hub/model-files.js';
import { tokenContent } from './convert.js';

/**
 * SentencePiece model files (`spiece.model`: T5, mT5, flan-t5, or a plain SentencePiece folder) turned into
 * the tokenizer.json transformers' `convert_slow_tokenizer` builds from them (SpmConverter, T5Converter):
 * Unigram or BPE model with the pieces, Precompiled normalizer + whitespace handling, Metaspace `▁`.
 * Where tokenizer.json (or the library Lengua runs it with) cannot give the ids SentencePiece gives, the
 * load fails with a LenguaError that says why and how to convert in Python.
 */

type Json = Record<string, unknown>;

/** Largest model file read (mT5's is 4 MB, the largest on the Hub tens of MB). */
export const MAX_SPM_BYTES = 200_000_000;
/** Most pieces accepted (ids are int32 in SentencePiece; real vocabularies stay under 1M). */
export const MAX_SPM_PIECES = 4_000_000;

/** `SentencePiece.Type` of sentencepiece_model.proto. */
export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;
/** `TrainerSpec.ModelType`. */
export const ModelType = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const;

export interface SpmPiece {
  piece: string;
  score: number;
  type: number;
}

/** The fields of `ModelProto` the conversion needs, with the proto's defaults. */
export interface SpmModel {
  pieces: SpmPiece[];
  trainer: {
    modelType: number;
    unkId: number;
    bosId: number;
    eosId: number;
    padId: number;
    unkPiece: string;
    bosPiece: string;
    eosPiece: string;
    padPiece: string;
    byteFallback: boolean;
    treatWhitespaceAsSuffix: boolean;
  };
  normalizer: {
    name: string;
    precompiledCharsmap: Uint8Array;
    addDummyPrefix: boolean;
    removeExtraWhitespaces: boolean;
    escapeWhitespaces: boolean;
    normalizationRuleTsv: string;
  };
}

// ----------------------------------------------------------------------------------------------
// Protobuf wire format: only what ModelProto uses (varint, 64-bit, length-delimited, 32-bit fields).

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    readonly file: string,
    readonly field: string,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  fail(message: string): never {
    throw new LenguaError(`not a SentencePiece model (${message} at byte ${this.pos})`, { file: this.file, field: this.field });
  }

  /** A varint: its value (exact below 2^53) and its low 32 bits (for int32 fields, where -1 takes 10 bytes). */
  varint(): { value: number; low: number } {
    let value = 0;
    let low = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 32) low = (low | ((b & 0x7f) << shift)) >>> 0;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return { value, low };
    }
    return this.fail('varint longer than 10 bytes');
  }

  int32(): number {
    return this.varint().low | 0;
  }

  bool(): boolean {
    return this.varint().value !== 0;
  }

  /** The bounds of a length-delimited field. */
  bytes(): [number, number] {
    const n = this.varint().value;
    if (n > this.end - this.pos) this.fail(`length ${n} runs past the end`);
    const start = this.pos;
    this.pos += n;
    return [start, this.pos];
  }

  string(): string {
    const [s, e] = this.bytes();
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.buf.subarray(s, e));
    } catch (err) {
      throw new LenguaError(`invalid UTF-8 in a string at byte ${s}`, { file: this.file, field: this.field }, { cause: err });
    }
  }

  float(): number {
    if (this.end - this.pos < 4) this.fail('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  /** The next tag, or null at the end. */
  tag(): { field: number; wire: number } | null {
    if (this.pos >= this.end) return null;
    const t = this.varint().value;
    const field = Math.floor(t / 8);
    if (field === 0) this.fail('field number 0');
    return { field, wire: t % 8 };
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.advance(4);
    else this.fail(`unsupported wire type ${wire}`);
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) this.fail('truncated field');
    this.pos += n;
  }

  /** Checks that a field has the wire type its proto type gives it. */
  expect(wire: number, want: number, name: string): void {
    if (wire !== want) this.fail(`field ${name} has wire type ${wire}, expected ${want}`);
  }

  /** A field's value, after checking its wire type (0: varint, 2: length-delimited). */
  int32Field(wire: number, name: string): number {
    this.expect(wire, 0, name);
    return this.int32();
  }
  boolField(wire: number, name: string): boolean {
    this.expect(wire, 0, name);
    return this.bool();
  }
  stringField(wire: number, name: string): string {
    this.expect(wire, 2, name);
    return this.string();
  }

  sub(name: string): Reader {
    const [s, e] = this.bytes();
    return new Reader(this.buf, this.file, name, s, e);
  }
}

/** Reads a serialized `sentencepiece.ModelProto` (a `.model` / `.spm` file). */
export function parseSentencePieceModel(buf: Uint8Array, file: string): SpmModel {
  const model: SpmModel = {
    pieces: [],
    trainer: {
      modelType: ModelType.UNIGRAM, unkId: 0, bosId: 1, eosId: 2, padId: -1,
      unkPiece: '<unk>', bosPiece: '<s>', eosPiece: '</s>', padPiece: '<pad>',
      byteFallback: false, treatWhitespaceAsSuffix: false,
    },
    normalizer: {
      name: '', precompiledCharsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true,
      escapeWhitespaces: true, normalizationRuleTsv: '',
    },
  };
  const r = new Reader(buf, file, 'ModelProto');
  for (let t = r.tag(); t !== null; t = r.tag()) {
    if (t.field === 1) {
      r.expect(t.wire, 2, 'pieces');
      if (model.pieces.length >= MAX_SPM_PIECES) r.fail(`more than ${MAX_SPM_PIECES} pieces`);
      model.pieces.push(readPiece(r.sub(`pieces[${model.pieces.length}]`)));
    } else if (t.field === 2) {
      r.expect(t.wire, 2, 'trainer_spec');
      readTrainer(r.sub('trainer_spec'), model.trainer);
    } else if (t.field === 3) {
      r.expect(t.wire, 2, 'normalizer_spec');
      readNormalizer(r.sub('normalizer_spec'), model.normalizer);
    } else {
      r.skip(t.wire);
    }
  }
  if (model.pieces.length === 0) throw new LenguaError('not a SentencePiece model (no pieces)', { file, field: 'pieces' });
  return model;
}

function readPiece(r: Reader): SpmPiece {
  const p: SpmPiece = { piece: '', score: 0, type: PieceType.NORMAL };
  for (let t = r.tag(); t !== null; t = r.tag()) {
    if (t.field === 1) {
      r.expect(t.wire, 2, 'piece');
      p.piece = r.string();
    } else if (t.field === 2) {
      r.expect(t.wire, 5, 'score');
      p.score = r.float();
    } else if (t.field === 3) {
      r.expect(t.wire, 0, 'type');
      p.type = r.int32();
    } else {
      r.skip(t.wire);
    }
  }
  if (!Number.isFinite(p.score)) r.fail(`score ${p.score} of piece ${JSON.stringify(p.piece)} is not finite`);
  return p;
}

function readTrainer(r: Reader, tr: SpmModel['trainer']): void {
  for (let t = r.tag(); t !== null; t = r.tag()) {
    const wire = t.wire;
    const int = (name: string): number => r.int32Field(wire, name);
    const bool = (name: string): boolean => r.boolField(wire, name);
    const str = (name: string): string => r.stringField(wire, name);
    switch (t.field) {
      case 3: tr.modelType = int('model_type'); break;
      case 24: tr.treatWhitespaceAsSuffix = bool('treat_whitespace_as_suffix'); break;
      case 35: tr.byteFallback = bool('byte_fallback'); break;
      case 40: tr.unkId = int('unk_id'); break;
      case 41: tr.bosId = int('bos_id'); break;
      case 42: tr.eosId = int('eos_id'); break;
      case 43: tr.padId = int('pad_id'); break;
      case 45: tr.unkPiece = str('unk_piece'); break;
      case 46: tr.bosPiece = str('bos_piece'); break;
      case 47: tr.eosPiece = str('eos_piece'); break;
      case 48: tr.padPiece = str('pad_piece'); break;
      default: r.skip(wire);
    }
  }
}

function readNormalizer(r: Reader, n: SpmModel['normalizer']): void {
  for (let t = r.tag(); t !== null; t = r.tag()) {
    const wire = t.wire;
    const bool = (name: string): boolean => r.boolField(wire, name);
    const str = (name: string): string => r.stringField(wire, name);
    switch (t.field) {
      case 1: n.name = str('name'); break;
      case 2: {
        r.expect(wire, 2, 'precompiled_charsmap');
        const [s, e] = r.bytes();
        n.precompiledCharsmap = r.buf.slice(s, e);
        break;
      }
      case 3: n.addDummyPrefix = bool('add_dummy_prefix'); break;
      case 4: n.removeExtraWhitespaces = bool('remove_extra_whitespaces'); break;
      case 5: n.escapeWhitespaces = bool('escape_whitespaces'); break;
      case 6: n.normalizationRuleTsv = str('normalization_rule_tsv'); break;
      default: r.skip(wire);
    }
  }
}

// ----------------------------------------------------------------------------------------------
// ModelProto -> tokenizer.json

/** How to get a tokenizer.json with Python, for the errors. */
export function pythonConversionHint(dir: string): string {
  return (
    `convert it with Python transformers: python -c "from transformers import AutoTokenizer; ` +
    `AutoTokenizer.from_pretrained('${dir}').save_pretrained('${dir}')" writes tokenizer.json into the folder`
  );
}

/**
 * The normalizers `@huggingface/tokenizers` can run for this model. The library's Precompiled does not
 * read the charsmap: it applies NFKC plus SentencePiece's nmt rules (control characters removed, the
 * Unicode spaces mapped to ' '), which is what the `nmt_nfkc` charsmap does (T5, mT5, ALBERT, XLNet and
 * the trainer's default). Any other charsmap (case folding, custom rules) would be silently ignored.
 */
function checkNormalizer(m: SpmModel, file: string): void {
  const n = m.normalizer;
  const hasMap = n.precompiledCharsmap.length > 0;
  if (hasMap && n.name !== 'nmt_nfkc') {
    throw new LenguaError(
      `normalizer "${n.name}" is not supported: the tokenizer library Lengua runs on applies nmt_nfkc (NFKC + SentencePiece's nmt rules) ` +
        `for every precompiled charsmap, so this model's normalization (case folding or custom rules) would be lost. ` +
        `Tokenize with Python's sentencepiece or transformers instead`,
      { file, field: 'normalizer_spec.name' },
    );
  }
  if (!hasMap && n.normalizationRuleTsv.length > 0) {
    throw new LenguaError('custom normalization rules (normalization_rule_tsv) are not supported', { file, field: 'normalizer_spec.normalization_rule_tsv' });
  }
  if (!n.escapeWhitespaces) {
    throw new LenguaError('escape_whitespaces: false is not supported (tokenizer.json\'s Metaspace always turns spaces into ▁)', { file, field: 'normalizer_spec.escape_whitespaces' });
  }
  if (m.trainer.treatWhitespaceAsSuffix) {
    throw new LenguaError('treat_whitespace_as_suffix is not supported (tokenizer.json\'s Metaspace puts ▁ before words)', { file, field: 'trainer_spec.treat_whitespace_as_suffix' });
  }
}

/** SpmConverter.normalizer; the whitespace steps only when the model removes extra whitespace, as SentencePiece does. */
function normalizerJson(m: SpmModel): Json | null {
  const steps: Json[] = [];
  if (m.normalizer.precompiledCharsmap.length > 0) {
    steps.push({ type: 'Precompiled', precompiled_charsmap: Buffer.from(m.normalizer.precompiledCharsmap).toString('base64') });
  }
  if (m.normalizer.removeExtraWhitespaces) {
    // SentencePiece drops leading and trailing spaces and collapses runs; the runs become one ▁, after
    // which Metaspace adds no second prefix, so a leading run needs no left strip.
    steps.push({ type: 'Strip', strip_left: false, strip_right: true });
    steps.push({ type: 'Replace', pattern: { Regex: ' {2,}' }, content: '\u2581' });
  }
  return steps.length === 0 ? null : { type: 'Sequence', normalizers: steps };
}

/**
 * transformers' `generate_merges(vocab, vocab_scores)`: every split of every piece into two pieces of the
 * vocabulary, ordered by the piece's score (higher first; SentencePiece's BPE gives earlier merges higher
 * scores), then by the lengths of the left and right parts (longer first), stable otherwise.
 */
export function spmBpeMerges(pieces: SpmPiece[]): Array<[string, string]> {
  const ids = new Map<string, number>();
  pieces.forEach((p, i) => {
    if (!ids.has(p.piece)) ids.set(p.piece, i);
  });
  const out: Array<{ l: string; r: string; score: number; ll: number; lr: number; order: number }> = [];
  // A dict in Python: a repeated piece keeps its first position and its last score.
  const scores = new Map<string, number>();
  for (const p of pieces) scores.set(p.piece, p.score);
  for (const [piece, score] of scores) {
    const cps = [...piece];
    const local: Array<{ l: string; r: string; ll: number; lr: number }> = [];
    for (let k = 1; k < cps.length; k++) {
      const l = cps.slice(0, k).join('');
      const r = cps.slice(k).join('');
      if (ids.has(l) && ids.has(r)) local.push({ l, r, ll: k, lr: cps.length - k });
    }
    local.sort((a, b) => ids.get(a.l)! - ids.get(b.l)! || ids.get(a.r)! - ids.get(b.r)!);
    for (const x of local) out.push({ ...x, score, order: out.length });
  }
  out.sort((a, b) => b.score - a.score || b.ll - a.ll || b.lr - a.lr || a.order - b.order);
  return out.map((x) => [x.l, x.r]);
}

export type SpmKind = 'spm' | 't5';

export interface SpmConversion {
  json: Json;
  /** Special tokens and options the transformers class would have (the folder's config overrides them). */
  defaults: Json;
  tokenizerClass?: string;
}

export type PrependScheme = 'always' | 'first' | 'never';

export interface SpmOptions {
  /** T5: how many `<extra_id_N>` tokens follow the pieces (T5Tokenizer's default 100). */
  extraIds?: number;
  /** Metaspace's prepend_scheme; default from the model's add_dummy_prefix ('always' or 'never'). */
  prependScheme?: PrependScheme;
}

/**
 * SpmConverter (`kind` 'spm': the pieces as they are, no post-processor) or T5Converter (`kind` 't5':
 * `extraIds` `<extra_id_N>` tokens appended in reverse order, `</s>` appended to every sequence).
 */
export function convertSentencePiece(m: SpmModel, kind: SpmKind, file: string, opts: SpmOptions = {}): SpmConversion {
  const extraIds = opts.extraIds ?? 100;
  checkNormalizer(m, file);
  const tr = m.trainer;
  if (tr.modelType !== ModelType.UNIGRAM && tr.modelType !== ModelType.BPE) {
    throw new LenguaError(
      `model_type ${tr.modelType === ModelType.WORD ? 'WORD' : tr.modelType === ModelType.CHAR ? 'CHAR' : tr.modelType} is not supported ` +
        '(transformers converts only Unigram and BPE SentencePiece models)',
      { file, field: 'trainer_spec.model_type' },
    );
  }
  const unigram = tr.modelType === ModelType.UNIGRAM;
  if (tr.byteFallback) {
    throw new LenguaError(
      'byte_fallback models are not supported: the tokenizer library Lengua runs on has no byte fallback for SentencePiece pieces ' +
        '(unknown characters would get <unk> instead of <0xNN> bytes)',
      { file, field: 'trainer_spec.byte_fallback' },
    );
  }
  m.pieces.forEach((p, i) => {
    if (p.type === PieceType.UNUSED || p.type === PieceType.BYTE) {
      // SentencePiece never emits these while encoding; tokenizer.json's model has no way to exclude them.
      throw new LenguaError(`piece ${i} ${JSON.stringify(p.piece)} is of type ${p.type === PieceType.UNUSED ? 'UNUSED' : 'BYTE'}, which tokenizer.json cannot express`, { file, field: `pieces[${i}]` });
    }
    if (p.piece.length === 0) throw new LenguaError(`piece ${i} is empty`, { file, field: `pieces[${i}]` });
  });
  const unk = m.pieces[tr.unkId];
  if (!Number.isInteger(tr.unkId) || unk === undefined || unk.type !== PieceType.UNKNOWN) {
    throw new LenguaError(`unk_id ${tr.unkId} is not the id of an UNKNOWN piece`, { file, field: 'trainer_spec.unk_id' });
  }

  const vocab: Array<[string, number]> = m.pieces.map((p) => [p.piece, p.score]);
  const have = new Set(m.pieces.map((p) => p.piece));
  const extras: string[] = [];
  if (kind === 't5') {
    for (let i = extraIds - 1; i >= 0; i--) {
      const t = `<extra_id_${i}>`;
      extras.push(t);
      if (!have.has(t)) vocab.push([t, 0]);
    }
  }
  const idOf = new Map<string, number>();
  vocab.forEach(([p], i) => {
    if (!idOf.has(p)) idOf.set(p, i);
  });

  const model: Json = unigram
    ? { type: 'Unigram', unk_id: tr.unkId, vocab, byte_fallback: false }
    : {
        type: 'BPE',
        dropout: null,
        unk_token: unk.piece,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: true,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(vocab.map(([p], i) => [p, i])),
        merges: spmBpeMerges(vocab.map(([piece, score]) => ({ piece, score, type: PieceType.NORMAL }))),
      };

  // Control pieces (<s>, </s>, <pad>) are special added tokens, user-defined ones plain added tokens
  // (matched before normalization, as transformers does); the unknown piece and T5's extra ids are special.
  const added: Json[] = [];
  const addToken = (id: number, content: string, special: boolean): void => {
    if (added.some((t) => t.content === content)) return;
    added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });
  };
  m.pieces.forEach((p, i) => {
    if (p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN) addToken(i, p.piece, true);
    else if (p.type === PieceType.USER_DEFINED) addToken(i, p.piece, false);
  });
  for (const t of extras) addToken(idOf.get(t)!, t, true);
  added.sort((a, b) => (a.id as number) - (b.id as number));

  const prepend = opts.prependScheme ?? (m.normalizer.addDummyPrefix ? 'always' : 'never');
  const json: Json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: normalizerJson(m),
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: prepend, split: true },
    post_processor: null,
    // @huggingface/tokenizers' Metaspace decoder drops the first space even for prepend_scheme 'never';
    // Replace is what the Rust Metaspace decoder does then.
    decoder: prepend !== 'never'
      ? { type: 'Metaspace', replacement: '\u2581', prepend_scheme: prepend, split: true }
      : { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
    model,
  };

  const pieceIf = (id: number): string | undefined => (id >= 0 && id < m.pieces.length ? m.pieces[id]!.piece : undefined);
  if (kind === 't5') {
    const eos = '</s>';
    const eosId = idOf.get(eos);
    if (eosId === undefined) throw new LenguaError('a T5 model needs a </s> piece', { file, field: 'pieces' });
    json.post_processor = {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: eos, type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: eos, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: eos, type_id: 0 } },
      ],
      special_tokens: { [eos]: { id: eos, ids: [eosId], tokens: [eos] } },
    };
    // T5Tokenizer's defaults.
    return {
      json,
      defaults: { eos_token: eos, unk_token: '<unk>', pad_token: '<pad>', extra_ids: extraIds, additional_special_tokens: extras.slice().reverse() },
      tokenizerClass: 'T5Tokenizer',
    };
  }
  const defaults: Json = { unk_token: unk.piece };
  const bos = pieceIf(tr.bosId);
  const eos = pieceIf(tr.eosId);
  const pad = pieceIf(tr.padId);
  if (bos !== undefined) defaults.bos_token = bos;
  if (eos !== undefined) defaults.eos_token = eos;
  if (pad !== undefined) defaults.pad_token = pad;
  return { json, defaults };
}

// ----------------------------------------------------------------------------------------------
// Folders

/** Classes whose converter is T5Converter. */
const T5_CLASSES = /^(T5|MT5|UMT5)Tokenizer(Fast)?$/;
const T5_MODEL_TYPES = new Set(['t5', 'mt5', 'umt5', 'longt5', 'switch_transformers']);

export interface SpmFolder {
  json: Json;
  config: Json;
  source: string;
  tokenizerClass?: string;
}

/** The SentencePiece files of a folder, or null when it has none. `config` is tokenizer_config.json merged with
 * special_tokens_map.json, `modelType` config.json's model_type ('' without one). */
export function readSentencePieceFolder(dir: string, config: Json, modelType: string): SpmFolder | null {
  if (modelFileExists(dir, 'source.spm') || modelFileExists(dir, 'target.spm')) {
    throw new LenguaError(
      'Marian tokenizers (source.spm / target.spm + vocab.json) cannot be loaded: MarianTokenizer maps the SentencePiece pieces ' +
        'through vocab.json (unknown pieces to <unk>, ids in vocab.json\'s order), which a tokenizer.json model cannot express, and ' +
        'transformers has no fast Marian tokenizer either (save_pretrained writes no tokenizer.json for it). ' +
        'Tokenize with Python\'s MarianTokenizer, or use a model folder that ships a tokenizer.json',
      { file: join(dir, modelFileExists(dir, 'source.spm') ? 'source.spm' : 'target.spm') },
    );
  }
  for (const other of ['sentencepiece.bpe.model', 'tokenizer.model']) {
    if (modelFileExists(dir, other) && !modelFileExists(dir, 'spiece.model')) {
      // XLM-R / mBART / CamemBERT shift SentencePiece's ids (fairseq order), Llama adds byte fallback: class-specific converters.
      throw new LenguaError(`${other} is converted by a model-specific transformers class, which Lengua does not reproduce; ${pythonConversionHint(dir)}`, {
        file: join(dir, other),
      });
    }
  }
  if (!modelFileExists(dir, 'spiece.model')) return null;
  const file = join(dir, 'spiece.model');
  const cls = String(config.tokenizer_class ?? '');
  let kind: SpmKind;
  if (T5_CLASSES.test(cls) || (cls === '' && T5_MODEL_TYPES.has(modelType))) kind = 't5';
  else if (cls === '' && modelType === '') kind = 'spm';
  else {
    // ALBERT, XLNet, Pegasus, BigBird... each has its own normalizer, vocabulary and template.
    throw new LenguaError(
      `spiece.model of ${cls !== '' ? `a ${cls}` : `model_type "${modelType}"`} is not supported (Lengua converts T5's and plain SentencePiece models); ${pythonConversionHint(dir)}`,
      { file },
    );
  }
  const bytes = readModelFile(dir, 'spiece.model', MAX_SPM_BYTES)!;
  const model = parseSentencePieceModel(bytes, file);
  let extraIds = 100;
  if (kind === 't5' && config.extra_ids !== undefined) {
    const e = config.extra_ids;
    if (!Number.isInteger(e) || (e as number) < 0 || (e as number) > 10_000) {
      throw new LenguaError(`extra_ids must be an integer in [0, 10000], got ${JSON.stringify(e)}`, { file: join(dir, 'tokenizer_config.json'), field: 'extra_ids' });
    }
    extraIds = e as number;
  }
  // T5Converter reads add_prefix_space (T5Tokenizer's default: true) and legacy (false: only the text's
  // start gets ▁, not each piece of text between special tokens), not the model's add_dummy_prefix.
  let prependScheme: PrependScheme | undefined;
  if (kind === 't5') prependScheme = config.add_prefix_space === false ? 'never' : config.legacy === false ? 'first' : 'always';
  const conv = convertSentencePiece(model, kind, file, { extraIds, ...(prependScheme !== undefined ? { prependScheme } : {}) });
  const merged: Json = { ...conv.defaults, ...config };
  // A configured special token that SentencePiece keeps as ordinary pieces becomes an added token, as transformers does.
  addConfiguredSpecials(conv.json, merged);
  return { json: conv.json, config: merged, source: 'spiece.model', ...(conv.tokenizerClass !== undefined ? { tokenizerClass: conv.tokenizerClass } : {}) };
}

function addConfiguredSpecials(json: Json, config: Json): void {
  const added = json.added_tokens as Json[];
  const model = json.model as Json;
  const ids = new Map<string, number>();
  if (Array.isArray(model.vocab)) (model.vocab as Array<[string, number]>).forEach(([p], i) => ids.has(p) || ids.set(p, i));
  else for (const [p, i] of Object.entries(model.vocab as Record<string, number>)) ids.set(p, i);
  const names = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'].map((k) => tokenContent(config[k]));
  const extra = Array.isArray(config.additional_special_tokens) ? (config.additional_special_tokens as unknown[]).map(tokenContent) : [];
  for (const t of [...names, ...extra]) {
    if (t === null || added.some((a) => a.content === t)) continue;
    const id = ids.get(t);
    // A special token outside the vocabulary would need a new id the model was not trained with: left out.
    if (id === undefined) continue;
    added.push({ id, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  added.sort((a, b) => (a.id as number) - (b.id as number));
}
