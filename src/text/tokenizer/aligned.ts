/**
 * A string that remembers, for every UTF-16 code unit, which span of the ORIGINAL input it came from.
 * This is Lengua's counterpart of the Rust `tokenizers` NormalizedString: normalizers and
 * pre-tokenizers transform it, and token offsets are read back from the spans.
 *
 * Offsets are UTF-16 code-unit offsets into the original JavaScript string (so `text.slice(s, e)`
 * returns the token's surface), the same convention as JavaScript string indexing and
 * Transformers.js. Python `tokenizers` reports code-point offsets; they differ only for text
 * with characters outside the Basic Multilingual Plane (emoji), where each such character counts
 * 2 here and 1 there.
 */
export class AlignedString {
  constructor(
    readonly text: string,
    /** Original start of each code unit of `text`. */
    readonly starts: readonly number[],
    /** Original end (exclusive) of each code unit of `text`. */
    readonly ends: readonly number[],
  ) {}

  static fromOriginal(text: string, base = 0): AlignedString {
    const starts: number[] = new Array<number>(text.length);
    const ends: number[] = new Array<number>(text.length);
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      const n = cp > 0xffff ? 2 : 1;
      for (let k = 0; k < n; k++) {
        starts[i + k] = base + i;
        ends[i + k] = base + i + n;
      }
      i += n;
    }
    return new AlignedString(text, starts, ends);
  }

  get length(): number {
    return this.text.length;
  }

  slice(from: number, to: number): AlignedString {
    return new AlignedString(this.text.slice(from, to), this.starts.slice(from, to), this.ends.slice(from, to));
  }

  /** The original span covered by code units [from, to); null when empty. */
  span(from: number, to: number): [number, number] | null {
    if (to <= from) return null;
    let s = Infinity;
    let e = -Infinity;
    for (let i = from; i < to; i++) {
      if (this.starts[i]! < s) s = this.starts[i]!;
      if (this.ends[i]! > e) e = this.ends[i]!;
    }
    return [s, e];
  }

  /**
   * Replaces every code point by `fn(cp, index)` (possibly empty or several code points); each output
   * code unit inherits the original span of the code point it came from.
   */
  mapCodePoints(fn: (ch: string, unitIndex: number) => string): AlignedString {
    const t = this.text;
    // Nothing is allocated until the first code point that changes (the common case is none).
    let out: string[] | null = null;
    let starts: number[] = [];
    let ends: number[] = [];
    for (let i = 0; i < t.length; ) {
      const cp = t.codePointAt(i)!;
      const n = cp > 0xffff ? 2 : 1;
      const ch = n === 1 ? t[i]! : t.slice(i, i + n);
      const rep = fn(ch, i);
      if (out === null) {
        if (rep === ch) {
          i += n;
          continue;
        }
        out = [t.slice(0, i)];
        starts = this.starts.slice(0, i);
        ends = this.ends.slice(0, i);
      }
      if (rep.length > 0) {
        const s = n === 1 ? this.starts[i]! : Math.min(this.starts[i]!, this.starts[i + 1]!);
        const e = n === 1 ? this.ends[i]! : Math.max(this.ends[i]!, this.ends[i + 1]!);
        out.push(rep);
        for (let k = 0; k < rep.length; k++) {
          starts.push(s);
          ends.push(e);
        }
      }
      i += n;
    }
    return out === null ? this : new AlignedString(out.join(''), starts, ends);
  }

  /**
   * Rewrites consecutive groups of code units: `segments` are [from, to) ranges that tile the
   * string; each segment's replacement text inherits the segment's whole original span.
   */
  rewriteSegments(segments: Array<[number, number, string]>): AlignedString {
    const out: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (const [from, to, rep] of segments) {
      if (rep.length === 0) continue;
      const sp = this.span(from, to) ?? this.pointSpan(from);
      out.push(rep);
      for (let k = 0; k < rep.length; k++) {
        starts.push(sp[0]);
        ends.push(sp[1]);
      }
    }
    return new AlignedString(out.join(''), starts, ends);
  }

  /** An empty span at the position of code unit `i` (used for insertions). */
  pointSpan(i: number): [number, number] {
    if (i < this.length) return [this.starts[i]!, this.starts[i]!];
    if (this.length > 0) return [this.ends[this.length - 1]!, this.ends[this.length - 1]!];
    return [0, 0];
  }

  /** Prepends `prefix`, aligned with the first character (as the Rust library's `prepend` does). */
  prepend(prefix: string): AlignedString {
    if (this.length === 0) return this;
    const s = this.starts[0]!;
    const e = this.ends[0]!;
    return new AlignedString(
      prefix + this.text,
      [...new Array<number>(prefix.length).fill(s), ...this.starts],
      [...new Array<number>(prefix.length).fill(e), ...this.ends],
    );
  }

  concat(other: AlignedString): AlignedString {
    return new AlignedString(this.text + other.text, [...this.starts, ...other.starts], [...this.ends, ...other.ends]);
  }
}
