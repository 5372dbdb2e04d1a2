/**
 * Suffix array, LCP array and the internal nodes of the suffix tree (the repeated, right-branching
 * substrings with their frequencies): what `esaxx` gives the Unigram trainer to seed its pieces.
 * Prefix doubling with counting sorts, O(n log n); Kasai's LCP; a stack walk over the LCP intervals.
 */

/** The suffix array of `text` (integers ≥ 0; a shorter suffix sorts before its extensions). */
export function suffixArray(text: Int32Array): Int32Array {
  const n = text.length;
  const sa = new Int32Array(n);
  if (n === 0) return sa;
  // Ranks start as the symbols' order among the distinct symbols.
  const distinct = [...new Set(text)].sort((a, b) => a - b);
  const order = new Map<number, number>();
  distinct.forEach((c, i) => order.set(c, i));
  let rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[i] = order.get(text[i]!)!;
  let classes = distinct.length;
  let tmp = new Int32Array(n);
  const second = new Int32Array(n);
  let count = new Int32Array(Math.max(classes, n) + 1);
  // Initial sort by first symbol.
  for (let i = 0; i < n; i++) count[rank[i]!]!++;
  for (let c = 1; c < classes; c++) count[c]! += count[c - 1]!;
  for (let i = n - 1; i >= 0; i--) sa[--count[rank[i]!]!] = i;
  for (let k = 1; classes < n; k <<= 1) {
    // Order by the second half: suffixes without one first, then by the previous order.
    let p = 0;
    for (let i = n - k; i < n; i++) second[p++] = i;
    for (let j = 0; j < n; j++) if (sa[j]! >= k) second[p++] = sa[j]! - k;
    count = count.length >= classes + 1 ? count.fill(0) : new Int32Array(classes + 1);
    for (let i = 0; i < n; i++) count[rank[i]!]!++;
    for (let c = 1; c < classes; c++) count[c]! += count[c - 1]!;
    for (let j = n - 1; j >= 0; j--) {
      const s = second[j]!;
      sa[--count[rank[s]!]!] = s;
    }
    tmp[sa[0]!] = 0;
    classes = 1;
    for (let j = 1; j < n; j++) {
      const a = sa[j - 1]!;
      const b = sa[j]!;
      const ra = a + k < n ? rank[a + k]! : -1;
      const rb = b + k < n ? rank[b + k]! : -1;
      if (rank[a] !== rank[b] || ra !== rb) classes++;
      tmp[b] = classes - 1;
    }
    [rank, tmp] = [tmp, rank];
  }
  return sa;
}

/** lcp[i] = longest common prefix of the suffixes sa[i-1] and sa[i] (lcp[0] = 0). */
export function lcpArray(text: Int32Array, sa: Int32Array): Int32Array {
  const n = text.length;
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[sa[i]!] = i;
  const lcp = new Int32Array(n);
  let h = 0;
  for (let i = 0; i < n; i++) {
    const r = rank[i]!;
    if (r === 0) {
      h = 0;
      continue;
    }
    const j = sa[r - 1]!;
    while (i + h < n && j + h < n && text[i + h] === text[j + h]) h++;
    lcp[r] = h;
    if (h > 0) h--;
  }
  return lcp;
}

/**
 * Calls `node(start, depth, freq)` for every internal node of the suffix tree with depth > 0: the
 * substring text[start, start + depth) occurs `freq` ≥ 2 times and is followed by two different symbols.
 */
export function forEachRepeat(text: Int32Array, node: (start: number, depth: number, freq: number) => void): void {
  const n = text.length;
  if (n === 0) return;
  const sa = suffixArray(text);
  const lcp = lcpArray(text, sa);
  const depths: number[] = [0];
  const lefts: number[] = [0];
  for (let i = 1; i <= n; i++) {
    const cur = i < n ? lcp[i]! : -1;
    let lb = i - 1;
    while (cur < depths[depths.length - 1]!) {
      const d = depths.pop()!;
      lb = lefts.pop()!;
      if (d > 0) node(sa[lb]!, d, i - lb);
      if (depths.length === 0) break;
    }
    if (depths.length === 0 || cur > depths[depths.length - 1]!) {
      if (cur >= 0) {
        depths.push(cur);
        lefts.push(lb);
      }
    }
  }
}
