/**
 * Shows which weights a training run changed: compares two model folders tensor by tensor and prints,
 * per group (embeddings, each encoder layer, pooler, classifier), how many tensors moved. For the
 * `head` and `freeze` strategies this is the proof that the frozen part stayed bit-identical.
 *
 *   node --import tsx examples/tweet-sentiment/check-frozen.ts BEFORE_DIR AFTER_DIR
 */
import { Buffer } from 'node:buffer';
import { LenguaError, loadCheckpoint } from '../../src/index.js';

function group(name: string): string {
  const layer = /\.layer\.(\d+)\./.exec(name);
  if (layer) return `encoder.layer.${layer[1]}`;
  for (const g of ['embeddings', 'pooler', 'classifier']) if (name.includes(g)) return g;
  return 'other';
}

const [before, after] = process.argv.slice(2);
if (before === undefined || after === undefined) throw new LenguaError('usage: check-frozen.ts BEFORE_DIR AFTER_DIR');
const a = loadCheckpoint(before).tensors;
const b = loadCheckpoint(after).tensors;
const groups = new Map<string, { changed: number; total: number }>();
for (const [name, ta] of a) {
  const tb = b.get(name);
  if (tb === undefined) throw new LenguaError(`tensor ${name} is missing`, { file: after });
  const g = groups.get(group(name)) ?? { changed: 0, total: 0 };
  g.total += 1;
  if (ta.dtype !== tb.dtype || !Buffer.from(ta.data).equals(Buffer.from(tb.data))) g.changed += 1;
  groups.set(group(name), g);
}
for (const [g, { changed, total }] of groups) {
  console.log(`${g.padEnd(16)} ${String(changed).padStart(3)}/${total} tensors changed${changed === 0 ? '  (frozen: bit-identical)' : ''}`);
}
