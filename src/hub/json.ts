/**
 * JSON from model folders (config.json, safetensors headers, tokenizer files): parsed with a nesting
 * limit, and shown in error messages through a short, never-throwing preview.
 *
 * JSON.parse itself copes with any depth, but JSON.stringify, structuredClone and every recursive walk
 * of the value overflow the stack near 10 000 levels (a RangeError, not a LenguaError), and a config
 * that loads must also save. Real files nest a few levels; serde_json (the safetensors crate, the
 * tokenizers library) stops at 128.
 */
import { LenguaError, type ErrorLocation } from '../errors.js';

/** serde_json's default recursion limit. */
export const MAX_JSON_DEPTH = 128;

/** Deepest nesting of arrays/objects in a parsed value (0 for a scalar); stops counting past `limit`. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth]);
    }
  }
  return deepest;
}

/** Throws a LenguaError at `where` when a parsed value nests deeper than `max` levels. */
export function checkJsonDepth(value: unknown, where: ErrorLocation, max = MAX_JSON_DEPTH): void {
  if (jsonDepth(value, max) > max) throw new LenguaError(`JSON nested deeper than ${max} levels`, where);
}

/** What kind of JSON value this is, for messages: `null`, `an array`, `a string`, ... */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * A value as short JSON text for an error message: cut to `max` characters; a value too deep or odd
 * to serialize is described instead (JSON.stringify would throw a RangeError).
 */
export function preview(v: unknown, max = 80): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined;
  }
  if (s === undefined) return Array.isArray(v) ? '[...]' : v !== null && typeof v === 'object' ? '{...}' : String(v);
  return s.length > max ? `${s.slice(0, max)}... (${s.length} characters)` : s;
}
