/**
 * What the examples' make-scratch-* scripts share: integer flags checked against a range, and the shape of a
 * small BERT (layers, hidden size, heads, FFN, positions, seed) read from the same flags in each script.
 */
import { LenguaError } from '../src/index.js';

/** An integer flag in [min, max]; the error names the flag. */
export function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new LenguaError(`must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`, { field: `--${name}` });
  return n;
}

/** parseArgs options of the BERT shape; --intermediate defaults to 4 × hidden. */
export function bertShapeOptions(maxPositions: number) {
  return {
    layers: { type: 'string', default: '2' },
    hidden: { type: 'string', default: '128' },
    heads: { type: 'string', default: '2' },
    intermediate: { type: 'string' },
    'max-positions': { type: 'string', default: String(maxPositions) },
    seed: { type: 'string', default: '42' },
  } as const;
}

export interface BertShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  seed: number;
}

/** The shape from the parsed flags of bertShapeOptions, each checked. */
export function bertShape(values: { layers: string; hidden: string; heads: string; intermediate?: string; 'max-positions': string; seed: string }): BertShape {
  const layers = int('layers', values.layers, 1, 24);
  const hidden = int('hidden', values.hidden, 8, 1024);
  const heads = int('heads', values.heads, 1, 64);
  if (hidden % heads !== 0) throw new LenguaError(`hidden ${hidden} is not a multiple of heads ${heads}`, { field: '--heads' });
  const intermediate = values.intermediate !== undefined ? int('intermediate', values.intermediate, 8, 8192) : 4 * hidden;
  const maxPositions = int('max-positions', values['max-positions'], 8, 512);
  const seed = int('seed', values.seed, 0, 2 ** 31 - 1);
  return { layers, hidden, heads, intermediate, maxPositions, seed };
}
