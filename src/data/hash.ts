/**
 * Hashes of texts, so that duplicate detection over millions of rows keeps 8 bytes per distinct text
 * instead of the text itself.
 *
 * `hashText` is MurmurHash3 x86_128 (Austin Appleby's, seed 0) of the string's UTF-16LE code units —
 * what `mmh3.hash_bytes(s.encode('utf-16-le'), 0, x64arch=False)` gives — computed on the code units
 * directly, without encoding. Its first 64 bits identify a text: among n distinct texts, the chance
 * that two share them is about n²/2⁶⁵ (2 in 10 million for 2.6 million texts).
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Little-endian 32-bit word made of code units i and i+1 (0 past the end). */
function word(s: string, i: number, n: number): number {
  return (i < n ? s.charCodeAt(i) : 0) | ((i + 1 < n ? s.charCodeAt(i + 1) : 0) << 16);
}

/** MurmurHash3 x86_128 of `s` (as UTF-16LE): writes h1..h4 (unsigned) into `out[0..3]`. */
export function hashText(s: string, out: Uint32Array): void {
  const n = s.length;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const blocks = n >> 3; // 16 bytes = 8 code units per block
  let i = 0;
  for (let b = 0; b < blocks; b++, i += 8) {
    let k1 = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    let k2 = s.charCodeAt(i + 2) | (s.charCodeAt(i + 3) << 16);
    let k3 = s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 16);
    let k4 = s.charCodeAt(i + 6) | (s.charCodeAt(i + 7) << 16);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
  }
  const tailBytes = 2 * (n - i);
  if (tailBytes > 12) h4 ^= Math.imul(rotl(Math.imul(word(s, i + 6, n), C4), 18), C1);
  if (tailBytes > 8) h3 ^= Math.imul(rotl(Math.imul(word(s, i + 4, n), C3), 17), C4);
  if (tailBytes > 4) h2 ^= Math.imul(rotl(Math.imul(word(s, i + 2, n), C2), 16), C3);
  if (tailBytes > 0) h1 ^= Math.imul(rotl(Math.imul(word(s, i, n), C1), 15), C2);
  const len = 2 * n;
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
}

/**
 * A set of 64-bit text hashes that numbers its members 0, 1, 2, … in the order they were first added:
 * open addressing over typed arrays (about 16–24 bytes per member), so it holds millions of members
 * without a JS object each. Callers keep per-member data in their own arrays indexed by that number.
 */
export class TextHashIndex {
  private slots: Int32Array; // member number + 1; 0 = empty
  private lo: Uint32Array;
  private hi: Uint32Array;
  private count = 0;
  private readonly h = new Uint32Array(4);

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.slots = new Int32Array(cap * 2);
    this.lo = new Uint32Array(cap);
    this.hi = new Uint32Array(cap);
  }

  /** Number of members. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the index's arrays. */
  get bytes(): number {
    return this.slots.byteLength + this.lo.byteLength + this.hi.byteLength;
  }

  /** The member number of `text`, adding it if new: a number equal to the size before the call means it was new. */
  add(text: string): number {
    hashText(text, this.h);
    const a = this.h[0]!;
    const b = this.h[1]!;
    const mask = this.slots.length - 1;
    let slot = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const m = this.slots[slot]!;
      if (m === 0) break;
      if (this.lo[m - 1] === a && this.hi[m - 1] === b) return m - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.count++;
    if (id === this.lo.length) this.growMembers();
    this.lo[id] = a;
    this.hi[id] = b;
    this.slots[slot] = id + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return id;
  }

  private growMembers(): void {
    const lo = new Uint32Array(this.lo.length * 2);
    lo.set(this.lo);
    this.lo = lo;
    const hi = new Uint32Array(this.hi.length * 2);
    hi.set(this.hi);
    this.hi = hi;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = (this.lo[id]! ^ Math.imul(this.hi[id]!, 0x9e3779b1)) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
  }
}

/** A growable typed array of per-member values (counts, lines, flags), indexed by member number. */
export class Column<T extends Uint8Array | Int32Array | Uint32Array | Float64Array> {
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}

  /** Makes room for index `i`. */
  ensure(i: number): void {
    if (i < this.data.length) return;
    let n = this.data.length * 2;
    while (n <= i) n *= 2;
    const next = this.make(n);
    next.set(this.data as never);
    this.data = next;
  }
}
