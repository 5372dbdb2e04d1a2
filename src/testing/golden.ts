// The one way tests find the golden references (no torch import, so config/weight tests can use it too).
// Test-only: tsconfig.build.json keeps src/testing/** out of dist/.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file is src/testing/golden.ts). */
export const REPO_ROOT = resolve(here, '..', '..');

/**
 * The golden folder, or null when this machine has none: $LENGUA_GOLDEN, then `../shared/golden`
 * beside the checkout, then `shared/golden` inside it (the first that holds a `models` folder).
 * LENGUA_GOLDEN=none simulates a machine without goldens (every golden test skips).
 */
export function goldenRoot(): string | null {
  const env = process.env.LENGUA_GOLDEN;
  if (env === 'none') return null;
  const cands = [env, join(REPO_ROOT, '..', 'shared', 'golden'), join(REPO_ROOT, 'shared', 'golden')];
  for (const c of cands) if (c !== undefined && c !== '' && existsSync(join(c, 'models'))) return c;
  return null;
}

/** `parts` joined under the golden folder, or null when there are no goldens. */
export function goldenPath(...parts: string[]): string | null {
  const root = goldenRoot();
  return root === null ? null : join(root, ...parts);
}

/** Where golden() points when there are no goldens: a path that does not exist, so a test that forgot its skip fails loudly. */
const ABSENT = join(REPO_ROOT, '..', 'shared', 'golden (absent: run with ../shared/golden or LENGUA_GOLDEN)');

/**
 * `parts` joined under the golden folder, always a string so module-level constants can hold it.
 * Only for tests declared with `{ skip: skipWithoutGolden }`: without goldens the path does not exist.
 */
export function golden(...parts: string[]): string {
  return join(goldenRoot() ?? ABSENT, ...parts);
}

/** For `test(name, { skip: skipWithoutGolden }, ...)`: the reason to skip when there are no goldens, else false. */
export const skipWithoutGolden: string | false = goldenRoot() === null ? 'no goldens (../shared/golden or $LENGUA_GOLDEN)' : false;
