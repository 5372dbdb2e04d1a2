import { AlignedString } from './aligned.js';
import { buildNormalizer, buildPreTokenizer, CHAR_TO_BYTE, type AlignedNormalizer, type AlignedPreTokenizer } from './normalizers.js';

/** The parts of an `@huggingface/tokenizers` Tokenizer that the aligned pipeline calls. */
export interface LibTokenizerInternals {
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options?: unknown) => string[]) | null;
  model: ((words: string[]) => string[]) & { unk_token?: string; tokens_to_ids: Map<string, number> };
}

export interface AddedTokenSpec {
  id: number;
  content: string;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** One sequence's tokens before special tokens are added. */
export interface SequenceTokens {
  tokens: string[];
  offsets: Array<[number, number]>;
  wordIds: Array<number | null>;
}

interface Section {
  added?: AddedTokenSpec;
  text: AlignedString;
  /** Original span of an added token, including whitespace it strips. */
  span?: [number, number];
}

/** Longest-match splitting on added tokens, scanning left to right (as the library's DictionarySplitter). */
class AddedTokenSplitter {
  private readonly byFirst = new Map<string, AddedTokenSpec[]>();

  constructor(tokens: Array<[string, AddedTokenSpec]>) {
    for (const [content, spec] of tokens) {
      if (content.length === 0) continue;
      const list = this.byFirst.get(content[0]!) ?? [];
      list.push({ ...spec, content });
      this.byFirst.set(content[0]!, list);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.content.length - a.content.length);
  }

  get empty(): boolean {
    return this.byFirst.size === 0;
  }

  split(s: AlignedString): Section[] {
    if (this.empty) return s.length > 0 ? [{ text: s }] : [];
    const out: Section[] = [];
    const t = s.text;
    let start = 0;
    let i = 0;
    while (i < t.length) {
      const cands = this.byFirst.get(t[i]!);
      const hit = cands?.find((c) => t.startsWith(c.content, i));
      if (hit) {
        if (i > start) out.push({ text: s.slice(start, i) });
        const piece = s.slice(i, i + hit.content.length);
        out.push({ added: hit, text: piece, span: piece.span(0, piece.length)! });
        i += hit.content.length;
        start = i;
      } else {
        i++;
      }
    }
    if (start < t.length) out.push({ text: s.slice(start, t.length) });
    // lstrip / rstrip: neighbours lose their whitespace, and the added token's offsets cover it
    // (as in the Rust library, where the match is widened over the stripped whitespace).
    for (let k = 0; k < out.length; k++) {
      const sec = out[k]!;
      if (!sec.added) continue;
      const prev = out[k - 1];
      if (sec.added.lstrip && prev && !prev.added) {
        const kept = prev.text.text.trimEnd().length;
        if (kept < prev.text.length) {
          const ws = prev.text.span(kept, prev.text.length)!;
          sec.span = [Math.min(sec.span![0], ws[0]), sec.span![1]];
          prev.text = prev.text.slice(0, kept);
        }
      }
      const next = out[k + 1];
      if (sec.added.rstrip && next && !next.added) {
        const drop = next.text.length - next.text.text.trimStart().length;
        if (drop > 0) {
          const ws = next.text.span(0, drop)!;
          sec.span = [sec.span![0], Math.max(sec.span![1], ws[1])];
          next.text = next.text.slice(drop, next.text.length);
        }
      }
    }
    return out;
  }
}

export interface ModelInfo {
  type: string;
  continuingSubwordPrefix: string;
  endOfWordSuffix: string;
  continuingSubwordSuffix: string;
  unkToken: string | null;
  byteLevel: boolean;
}

/**
 * Tokenizes one text with character offsets. Returns null when this pipeline does not support a
 * component of the tokenizer.json or when its intermediate texts disagree with the library's; the
 * caller then falls back to approximate offsets (ids always come from the library).
 */
export class AlignedPipeline {
  private readonly normalizer: AlignedNormalizer | null;
  private readonly preTokenizer: AlignedPreTokenizer | null;
  private readonly unnormalized: AddedTokenSplitter;
  private readonly normalized: AddedTokenSplitter;
  readonly supported: boolean;

  constructor(
    private readonly lib: LibTokenizerInternals,
    json: Record<string, unknown>,
    addedTokens: AddedTokenSpec[],
    private readonly model: ModelInfo,
  ) {
    this.normalizer = buildNormalizer(json.normalizer);
    this.preTokenizer = buildPreTokenizer(json.pre_tokenizer);
    const unnorm: Array<[string, AddedTokenSpec]> = [];
    const norm: Array<[string, AddedTokenSpec]> = [];
    for (const t of addedTokens) {
      if (t.normalized && lib.normalizer !== null) norm.push([lib.normalizer(t.content), t]);
      else unnorm.push([t.content, t]);
    }
    this.unnormalized = new AddedTokenSplitter(unnorm);
    this.normalized = new AddedTokenSplitter(norm);
    this.supported = this.normalizer !== null && this.preTokenizer !== null && (model.type === 'WordPiece' || model.type === 'BPE');
  }

  run(text: string): SequenceTokens | null {
    if (!this.supported) return null;
    const out: SequenceTokens = { tokens: [], offsets: [], wordIds: [] };
    let word = 0;
    const pushAdded = (sec: Section): void => {
      out.tokens.push(sec.added!.content);
      out.offsets.push(sec.span!);
      out.wordIds.push(word++);
    };
    for (const section of this.unnormalized.split(AlignedString.fromOriginal(text))) {
      if (section.added) {
        pushAdded(section);
        continue;
      }
      if (section.text.length === 0) continue;
      let normalized = section.text;
      if (this.lib.normalizer !== null) {
        normalized = this.normalizer!(section.text);
        if (normalized.text !== this.lib.normalizer(section.text.text)) return null;
      }
      if (normalized.length === 0) continue;
      for (const sub of this.normalized.split(normalized)) {
        if (sub.added) {
          pushAdded(sub);
          continue;
        }
        if (sub.text.length === 0) continue;
        const words = this.preTokenizer!([sub.text]);
        if (this.lib.pre_tokenizer !== null) {
          const libWords = this.lib.pre_tokenizer(sub.text.text, { section_index: 0 });
          if (libWords.length !== words.length || libWords.some((w, k) => w !== words[k]!.text)) return null;
        }
        for (const w of words) {
          const pieces = this.lib.model([w.text]);
          const spans = this.alignPieces(w, pieces);
          if (spans === null) return null;
          for (let k = 0; k < pieces.length; k++) {
            out.tokens.push(pieces[k]!);
            out.offsets.push(spans[k]!);
            out.wordIds.push(word);
          }
          word++;
        }
      }
    }
    return out;
  }

  /** Where each model piece lies inside its word. */
  private alignPieces(w: AlignedString, pieces: string[]): Array<[number, number]> | null {
    const surfaces = pieces.map((p, k) => this.surface(p, k));
    const spans: Array<[number, number]> = [];
    let pos = 0;
    for (let k = 0; k < pieces.length; k++) {
      const surf = surfaces[k]!;
      if (surf !== null && w.text.startsWith(surf, pos)) {
        spans.push(w.span(pos, pos + surf.length) ?? w.pointSpan(pos));
        pos += surf.length;
        continue;
      }
      if (pieces[k] !== this.model.unkToken) return null;
      // An unknown piece covers everything up to where the next known piece matches.
      let end = w.length;
      const nextSurf = surfaces.slice(k + 1).find((x) => x !== null);
      if (nextSurf !== undefined && nextSurf !== null) {
        const at = w.text.indexOf(nextSurf, pos + 1);
        if (at > pos) end = at;
      }
      if (end <= pos) return null;
      spans.push(w.span(pos, end)!);
      pos = end;
    }
    return pos === w.length ? spans : null;
  }

  private surface(piece: string, index: number): string | null {
    const m = this.model;
    if (piece === m.unkToken) return null;
    let s = piece;
    if (m.type === 'WordPiece') {
      if (index > 0 && m.continuingSubwordPrefix && s.startsWith(m.continuingSubwordPrefix)) s = s.slice(m.continuingSubwordPrefix.length);
      return s;
    }
    if (m.continuingSubwordPrefix && index > 0 && s.startsWith(m.continuingSubwordPrefix)) s = s.slice(m.continuingSubwordPrefix.length);
    if (m.endOfWordSuffix && s.endsWith(m.endOfWordSuffix)) s = s.slice(0, -m.endOfWordSuffix.length);
    if (m.continuingSubwordSuffix && s.endsWith(m.continuingSubwordSuffix)) s = s.slice(0, -m.continuingSubwordSuffix.length);
    return s;
  }
}

/** Decodes a byte-level token to the text it stands for (invalid UTF-8 becomes U+FFFD). */
export function byteLevelToText(token: string): string {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) return token;
    bytes.push(b);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes));
}
