/**
 * Worker of inspectFile: normalizes texts and counts the distinct normalized keys (the slowest step of
 * inspection) on a second core while the main thread parses the file. The count does not depend on
 * the order the texts arrive in, so the worker only needs them all, once.
 */
import { parentPort } from 'node:worker_threads';
import { TextHashIndex } from './hash.js';
import { normalizedKey } from './split.js';

export type NormalizeRequest = { texts: string[]; pairs: Array<string | null> } | 'end';
export type NormalizeReply = { ready: true } | { done: number } | { distinct: number };

const index = new TextHashIndex();
parentPort!.on('message', (m: NormalizeRequest) => {
  if (m === 'end') {
    parentPort!.postMessage({ distinct: index.size } satisfies NormalizeReply);
    return;
  }
  for (let i = 0; i < m.texts.length; i++) index.add(normalizedKey(m.texts[i]!, m.pairs[i] ?? undefined));
  parentPort!.postMessage({ done: m.texts.length } satisfies NormalizeReply);
});
parentPort!.postMessage({ ready: true } satisfies NormalizeReply);
