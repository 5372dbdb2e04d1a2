/**
 * `LENGUA_HOME`: where Lengua keeps what outlives a run — API keys (`keys.json`), the model registry
 * (`registry/`), the audit log (`audit.jsonl`). Default `~/.lengua`; `~` is expanded.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function lenguaHome(env: Record<string, string | undefined> = process.env): string {
  const v = env.LENGUA_HOME;
  if (v === undefined || v === '') return join(homedir(), '.lengua');
  return resolve(v === '~' || v.startsWith('~/') ? join(homedir(), v.slice(1)) : v);
}
