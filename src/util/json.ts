import { LenguaError, type ErrorLocation } from '../errors.js';

/**
 * Parses text that must be one JSON object (a JSON Lines line, say): malformed JSON and any other
 * value (array, string, null, ...) are errors naming `where` (the file and line).
 */
export function parseJsonObject(text: string, where: ErrorLocation): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new LenguaError(`malformed JSON: ${(err as Error).message}`, where, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LenguaError('expected a JSON object', where);
  return value as Record<string, unknown>;
}
