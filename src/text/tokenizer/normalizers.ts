import { AlignedString } from './aligned.js';

/**
 * Offset-preserving versions of the tokenizer.json normalizers and pre-tokenizers. They mirror what
 * `@huggingface/tokenizers` 0.2.0 does to the text (that library gives the ids; this module only
 * tells where each piece came from). The caller checks that the texts agree with the library's and
 * falls back to approximate offsets when they do not, so a divergence here can never change ids.
 */

type Json = Record<string, unknown>;

export type AlignedNormalizer = (s: AlignedString) => AlignedString;
export type AlignedPreTokenizer = (pieces: AlignedString[]) => AlignedString[];

const CONTROL_RE = /^(?:\p{Cc}|\p{Cf}|\p{Co}|\p{Cs})$/u;
const WHITESPACE_RE = /^\s$/;
const MN_RE = /^\p{Mn}$/u;
const MARK_RE = /^\p{M}$/u;
/** Fast pre-checks: most texts need no cleaning, CJK spacing or accent stripping at all. */
const NEEDS_CLEAN_RE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\uFFFD]|[^\S ]/u;
const BMP_CJK_RE = /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]/;
// eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included
const ASCII_RE = /^[\x00-\x7F]*$/;

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Replaces the text of `s` by `text` of the same length, keeping the per-unit alignment. */
function retext(s: AlignedString, text: string): AlignedString {
  return new AlignedString(text, s.starts, s.ends);
}

/** Last resort when no finer alignment is known: every unit maps to the whole input span. */
function coarse(s: AlignedString, text: string): AlignedString {
  const sp = s.span(0, s.length) ?? s.pointSpan(0);
  return new AlignedString(text, new Array<number>(text.length).fill(sp[0]), new Array<number>(text.length).fill(sp[1]));
}

export function alignedLowercase(s: AlignedString): AlignedString {
  const whole = s.text.toLowerCase();
  if (whole === s.text) return s;
  const per = s.mapCodePoints((ch) => ch.toLowerCase());
  if (per.text === whole) return per;
  // Context-dependent mappings (final sigma) keep the length: take the whole-string result.
  if (per.length === whole.length) return retext(per, whole);
  return coarse(s, whole);
}

/**
 * Unicode normalization with alignment: the text is cut into clusters (a character and the combining
 * marks / conjoining jamo that follow it), each cluster is normalized alone and its output inherits
 * the cluster's span. Decomposition of single characters stays per character.
 */
export function alignedUnicode(s: AlignedString, form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): AlignedString {
  const whole = s.text.normalize(form);
  if (whole === s.text) return s;
  if (form === 'NFD' || form === 'NFKD') {
    const per = s.mapCodePoints((ch) => ch.normalize(form));
    if (per.text === whole) return per;
    if (per.length === whole.length) return retext(per, whole);
  }
  const segments: Array<[number, number, string]> = [];
  const t = s.text;
  let segStart = 0;
  const cps: Array<[number, number]> = [];
  for (let i = 0; i < t.length; ) {
    const cp = t.codePointAt(i)!;
    const n = cp > 0xffff ? 2 : 1;
    cps.push([i, i + n]);
    i += n;
  }
  const continues = (ch: string, cp: number): boolean =>
    MARK_RE.test(ch) || (cp >= 0x1160 && cp <= 0x11ff) || (cp >= 0xd7b0 && cp <= 0xd7ff);
  for (let k = 1; k <= cps.length; k++) {
    if (k < cps.length) {
      const [a, b] = cps[k]!;
      const ch = t.slice(a, b);
      if (continues(ch, ch.codePointAt(0)!)) continue;
    }
    const from = cps[segStart]![0];
    const to = cps[k - 1]![1];
    const seg = t.slice(from, to);
    const norm = seg.normalize(form);
    // Finer alignment when the cluster normalizes character by character.
    let perChar = '';
    for (let j = segStart; j < k; j++) perChar += t.slice(cps[j]![0], cps[j]![1]).normalize(form);
    if (perChar === norm) {
      for (let j = segStart; j < k; j++) segments.push([cps[j]![0], cps[j]![1], t.slice(cps[j]![0], cps[j]![1]).normalize(form)]);
    } else {
      segments.push([from, to, norm]);
    }
    segStart = k;
  }
  const out = s.rewriteSegments(segments);
  if (out.text === whole) return out;
  if (out.length === whole.length) return retext(out, whole);
  return coarse(s, whole);
}

function stripMn(s: AlignedString): AlignedString {
  if (ASCII_RE.test(s.text)) return s;
  return alignedUnicode(s, 'NFD').mapCodePoints((ch) => (MN_RE.test(ch) ? '' : ch));
}

function bertNormalizer(cfg: Json): AlignedNormalizer {
  return (input) => {
    let s = input;
    if (cfg.clean_text && NEEDS_CLEAN_RE.test(s.text)) {
      s = s.mapCodePoints((ch) => {
        const cu = ch.charCodeAt(0);
        if (cu === 0 || cu === 0xfffd) return '';
        if (ch !== '\t' && ch !== '\n' && ch !== '\r' && CONTROL_RE.test(ch)) return '';
        return WHITESPACE_RE.test(ch) ? ' ' : ch;
      });
    }
    if (cfg.handle_chinese_chars && BMP_CJK_RE.test(s.text)) {
      // @huggingface/tokenizers tests UTF-16 units, so only BMP ideographs get spaces; mirror it so
      // that the pieces agree with the ids it produces.
      s = s.mapCodePoints((ch) => (ch.length === 1 && isChineseChar(ch.charCodeAt(0)) ? ` ${ch} ` : ch));
    }
    if (cfg.lowercase) {
      s = alignedLowercase(s);
      if (cfg.strip_accents !== false) s = stripMn(s);
    } else if (cfg.strip_accents) {
      s = stripMn(s);
    }
    return s;
  };
}

function stringPattern(pattern: unknown): RegExp | null {
  if (typeof pattern !== 'object' || pattern === null) return null;
  const p = pattern as Json;
  if (typeof p.String === 'string') return new RegExp(p.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  return null;
}

function replaceAligned(s: AlignedString, re: RegExp, content: string): AlignedString {
  const segments: Array<[number, number, string]> = [];
  let last = 0;
  for (const m of s.text.matchAll(re)) {
    const at = m.index;
    if (m[0].length === 0) continue;
    for (let i = last; i < at; i++) segments.push([i, i + 1, s.text[i]!]);
    segments.push([at, at + m[0].length, content]);
    last = at + m[0].length;
  }
  for (let i = last; i < s.length; i++) segments.push([i, i + 1, s.text[i]!]);
  return s.rewriteSegments(segments);
}

/** Builds the aligned normalizer for a tokenizer.json `normalizer`; null when a part is unsupported. */
export function buildNormalizer(cfg: unknown): AlignedNormalizer | null {
  if (cfg === null || cfg === undefined) return (s) => s;
  if (typeof cfg !== 'object') return null;
  const c = cfg as Json;
  switch (c.type) {
    case 'BertNormalizer':
      return bertNormalizer(c);
    case 'Lowercase':
      return alignedLowercase;
    case 'StripAccents':
      // The library removes every mark (\p{M}) without decomposing first.
      return (s) => s.mapCodePoints((ch) => (MARK_RE.test(ch) ? '' : ch));
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = c.type;
      return (s) => alignedUnicode(s, form);
    }
    case 'Strip': {
      const left = Boolean(c.strip_left);
      const right = Boolean(c.strip_right);
      return (s) => {
        let a = 0;
        let b = s.length;
        if (left) a = s.length - s.text.trimStart().length;
        if (right) b = s.text.trimEnd().length;
        return b > a ? s.slice(a, b) : s.slice(0, 0);
      };
    }
    case 'Prepend': {
      const prefix = typeof c.prepend === 'string' ? c.prepend : '';
      return (s) => s.prepend(prefix);
    }
    case 'Replace': {
      const re = stringPattern(c.pattern);
      if (re === null) return null;
      const content = typeof c.content === 'string' ? c.content : '';
      return (s) => replaceAligned(s, re, content);
    }
    case 'Sequence': {
      const parts = Array.isArray(c.normalizers) ? c.normalizers.map(buildNormalizer) : null;
      if (parts === null || parts.some((p) => p === null)) return null;
      return (s) => parts.reduce((acc, p) => p!(acc), s);
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Pre-tokenizers

const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const BERT_PRE_RE = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');
const GPT2_RE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

function matchPieces(s: AlignedString, re: RegExp): AlignedString[] {
  const out: AlignedString[] = [];
  for (const m of s.text.matchAll(re)) {
    if (m[0].length > 0) out.push(s.slice(m.index, m.index + m[0].length));
  }
  return out;
}

/** GPT-2's byte to printable-character table (same construction as the reference implementations). */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const table = new Array<string>(256);
  for (const b of bs) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) {
      table[b] = String.fromCharCode(256 + n);
      n++;
    }
  }
  return table;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** UTF-8 bytes of one code point (a lone surrogate encodes as U+FFFD, as TextEncoder does). */
function utf8(cp: number, out: number[]): void {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/** Maps every UTF-8 byte to its printable stand-in; all bytes of a character share its span. */
export function toByteLevel(s: AlignedString): AlignedString {
  const t = s.text;
  const out: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const bytes: number[] = [];
  for (let i = 0; i < t.length; ) {
    const cp = t.codePointAt(i)!;
    const n = cp > 0xffff ? 2 : 1;
    const st = n === 1 ? s.starts[i]! : Math.min(s.starts[i]!, s.starts[i + 1]!);
    const en = n === 1 ? s.ends[i]! : Math.max(s.ends[i]!, s.ends[i + 1]!);
    bytes.length = 0;
    utf8(cp, bytes);
    for (const b of bytes) {
      out.push(BYTE_TO_CHAR[b]!);
      starts.push(st);
      ends.push(en);
    }
    i += n;
  }
  return new AlignedString(out.join(''), starts, ends);
}

export function buildPreTokenizer(cfg: unknown): AlignedPreTokenizer | null {
  if (cfg === null || cfg === undefined) return (pieces) => pieces;
  if (typeof cfg !== 'object') return null;
  const c = cfg as Json;
  switch (c.type) {
    case 'BertPreTokenizer':
      return (pieces) => pieces.flatMap((p) => matchPieces(p, BERT_PRE_RE));
    case 'Whitespace':
      return (pieces) => pieces.flatMap((p) => matchPieces(p, /\w+|[^\w\s]+/g));
    case 'WhitespaceSplit':
      return (pieces) => pieces.flatMap((p) => matchPieces(p, /\S+/g));
    case 'ByteLevel': {
      const addPrefixSpace = Boolean(c.add_prefix_space);
      const useRegex = c.use_regex ?? true;
      return (pieces) =>
        pieces.flatMap((p) => {
          const q = addPrefixSpace && !p.text.startsWith(' ') ? p.prepend(' ') : p;
          return (useRegex ? matchPieces(q, GPT2_RE) : [q]).map(toByteLevel);
        });
    }
    case 'Sequence': {
      const parts = Array.isArray(c.pretokenizers) ? c.pretokenizers.map(buildPreTokenizer) : null;
      if (parts === null || parts.some((p) => p === null)) return null;
      return (pieces) => parts.reduce((acc, p) => p!(acc), pieces);
    }
    default:
      return null;
  }
}
