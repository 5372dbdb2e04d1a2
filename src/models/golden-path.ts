// Where the golden references live (no torch import, so config/weight tests can use it too).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..');

/** `../shared/golden` beside the checkout, `shared/golden` inside it, or $LENGUA_GOLDEN. */
export function goldenRoot(): string | null {
  const cands = [process.env.LENGUA_GOLDEN, join(REPO_ROOT, '..', 'shared', 'golden'), join(REPO_ROOT, 'shared', 'golden')];
  for (const c of cands) if (c !== undefined && c !== '' && existsSync(join(c, 'models'))) return c;
  return null;
}
