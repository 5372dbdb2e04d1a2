import { LenguaError, type ErrorLocation } from '../errors.js';

/**
 * How a label set orders its labels when no order is given, i.e. which label gets id 0, 1, ...
 * - `numeric`: every label is an integer string ("0", "1", "2") → ascending by value, so the id of
 *   "2" is 2 (Hugging Face `datasets` keeps such integer labels as the ids themselves).
 * - `sorted`: code-point order of the names, what `datasets`' `class_encode_column` does (it sorts the
 *   unique values), so the same labels always get the same ids whatever order the rows come in.
 * A mapping file (`mapping.txt`) or an explicit `order` overrides both.
 */
export type LabelOrder = 'auto' | 'sorted' | 'first-seen' | readonly string[];

export interface LabelSetJson {
  id2label: Record<string, string>;
  label2id: Record<string, number>;
}

/** The labels of a task and their integer ids, in the shape of a Hugging Face `config.json`. */
export class LabelSet {
  readonly names: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(names: readonly string[]) {
    const seen = new Map<string, number>();
    names.forEach((n, i) => {
      if (seen.has(n)) throw new LenguaError(`label "${n}" is listed twice`);
      seen.set(n, i);
    });
    this.names = Object.freeze([...names]);
    this.ids = seen;
  }

  /** Builds a label set from the labels seen in data (multi-label arrays are flattened). */
  static fromLabels(labels: Iterable<string | readonly string[] | undefined>, opts: { order?: LabelOrder } = {}): LabelSet {
    const firstSeen: string[] = [];
    const seen = new Set<string>();
    for (const l of labels) {
      if (l === undefined) continue;
      for (const x of typeof l === 'string' ? [l] : l) {
        if (!seen.has(x)) {
          seen.add(x);
          firstSeen.push(x);
        }
      }
    }
    const order = opts.order ?? 'auto';
    if (Array.isArray(order)) {
      const missing = firstSeen.filter((x) => !order.includes(x));
      if (missing.length > 0) throw new LenguaError(`labels not in the given label order: ${quoteList(missing)}`);
      return new LabelSet(order as readonly string[]);
    }
    if (order === 'first-seen') return new LabelSet(firstSeen);
    if (order === 'auto' && firstSeen.length > 0 && firstSeen.every((x) => /^-?\d+$/.test(x))) {
      return new LabelSet([...firstSeen].sort((a, b) => Number(a) - Number(b)));
    }
    return new LabelSet([...firstSeen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** From a config.json-style `id2label` (keys are ids, possibly as strings); ids must be 0..n-1. */
  static fromId2Label(id2label: Record<string | number, string>): LabelSet {
    const entries = Object.entries(id2label).map(([k, v]) => [Number(k), v] as const);
    entries.sort((a, b) => a[0] - b[0]);
    entries.forEach(([id], i) => {
      if (id !== i) throw new LenguaError(`id2label ids must be 0..${entries.length - 1}, found ${id}`);
    });
    return new LabelSet(entries.map(([, v]) => v));
  }

  get size(): number {
    return this.names.length;
  }

  get id2label(): Record<number, string> {
    const out: Record<number, string> = {};
    this.names.forEach((n, i) => (out[i] = n));
    return out;
  }

  get label2id(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((n, i) => (out[n] = i));
    return out;
  }

  has(label: string): boolean {
    return this.ids.has(label);
  }

  /** The id of a label; an unknown label is an error that names it and the known ones. */
  encode(label: string, where: ErrorLocation = {}): number {
    const id = this.ids.get(label);
    if (id === undefined) {
      throw new LenguaError(`unknown label "${label}"; known labels: ${quoteList(this.names)}`, where);
    }
    return id;
  }

  /**
   * Encodes many labels at once. Every unknown label is collected first so the error names all of
   * them (with where each first appears) instead of stopping at the first one.
   */
  encodeAll(labels: ReadonlyArray<string>, where?: (index: number) => ErrorLocation): number[] {
    const unknown = new Map<string, number>();
    const ids = labels.map((l, i) => {
      const id = this.ids.get(l);
      if (id === undefined) {
        if (!unknown.has(l)) unknown.set(l, i);
        return -1;
      }
      return id;
    });
    if (unknown.size > 0) {
      const first = [...unknown.values()][0]!;
      const at = where
        ? [...unknown.entries()]
            .map(([l, i]) => {
              const w = where(i);
              return `"${l}" (${w.file ?? ''}${w.line !== undefined ? `:${w.line}` : ''})`;
            })
            .join(', ')
        : quoteList([...unknown.keys()]);
      throw new LenguaError(
        `${unknown.size} unknown label${unknown.size === 1 ? '' : 's'}: ${at}; known labels: ${quoteList(this.names)}`,
        where ? where(first) : {},
      );
    }
    return ids;
  }

  /** Multi-hot vector for a multi-label example. */
  encodeMulti(labels: readonly string[], where: ErrorLocation = {}): number[] {
    const v = new Array<number>(this.size).fill(0);
    for (const l of labels) v[this.encode(l, where)] = 1;
    return v;
  }

  decode(id: number): string {
    const name = this.names[id];
    if (name === undefined) throw new LenguaError(`label id ${id} out of range 0..${this.size - 1}`);
    return name;
  }

  toJSON(): LabelSetJson {
    return { id2label: this.id2label as Record<string, string>, label2id: this.label2id };
  }
}

function quoteList(xs: readonly string[]): string {
  const shown = xs.slice(0, 20).map((x) => `"${x}"`);
  if (xs.length > 20) shown.push(`… ${xs.length - 20} more`);
  return shown.join(', ');
}
