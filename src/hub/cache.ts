/**
 * The Hugging Face cache layout, shared with Python's `huggingface_hub`, so models that Python
 * already downloaded are reused and models Lengua downloads are visible to Python:
 *
 *   <cache>/models--org--name/
 *     refs/<revision>                 commit hash the branch/tag pointed to when last resolved
 *     blobs/<etag>                    file contents (etag = git blob sha1, or sha256 for LFS files)
 *     snapshots/<commit>/<file>       symlink to ../../blobs/<etag> (a copy where symlinks fail)
 *     .no_exist/<commit>/<file>       empty marker: the file is known not to exist at that commit
 *
 * <cache> = $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
 * ~/.cache/huggingface/hub — the same precedence as huggingface_hub.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { LenguaError } from '../errors.js';

export type Env = Record<string, string | undefined>;

/** The directory that holds `models--*` folders. */
export function hubCacheDir(env: Env = process.env): string {
  const direct = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (direct) return resolve(expandHome(direct));
  return join(hfHome(env), 'hub');
}

/** `$HF_HOME`, default `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`. */
export function hfHome(env: Env = process.env): string {
  if (env.HF_HOME) return resolve(expandHome(env.HF_HOME));
  const xdg = env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return resolve(join(xdg, 'huggingface'));
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

/** True when offline mode is on (`HF_HUB_OFFLINE` or `TRANSFORMERS_OFFLINE` set to 1/true/yes/on). */
export function isOfflineEnv(env: Env = process.env): boolean {
  const on = (v: string | undefined): boolean => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());
  return on(env.HF_HUB_OFFLINE) || on(env.TRANSFORMERS_OFFLINE);
}

/**
 * The token: `HF_TOKEN`, the legacy `HUGGING_FACE_HUB_TOKEN`, else the file `huggingface-cli login`
 * writes (`$HF_TOKEN_PATH` or `$HF_HOME/token`). Never logged.
 */
export function tokenFromEnv(env: Env = process.env): string | undefined {
  const t = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (t) return t.trim();
  const path = env.HF_TOKEN_PATH ? expandHome(env.HF_TOKEN_PATH) : join(hfHome(env), 'token');
  try {
    if (statSync(path).size > 4096) return undefined;
    const s = readFileSync(path, 'utf8').trim();
    return s === '' ? undefined : s;
  } catch {
    return undefined;
  }
}

const REPO_PART = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Validates a Hub repo id (`name` or `org/name`) with huggingface_hub's rules: letters, digits,
 * `-`, `_`, `.`; no `--` or `..`; not starting or ending with `-` or `.`; at most 96 characters.
 */
export function validateRepoId(id: string): void {
  const bad = (why: string): never => {
    throw new LenguaError(`invalid model id ${JSON.stringify(id)}: ${why} (expected "name" or "org/name", or an existing local folder)`);
  };
  if (id.length === 0 || id.length > 96) bad('must be 1 to 96 characters');
  const parts = id.split('/');
  if (parts.length > 2) bad('at most one "/"');
  for (const p of parts) {
    if (!REPO_PART.test(p)) bad('only letters, digits, "-", "_" and "." are allowed, starting with a letter, digit or "_"');
    if (p.endsWith('-') || p.endsWith('.')) bad('a part may not end with "-" or "."');
  }
  if (id.includes('--') || id.includes('..')) bad('"--" and ".." are not allowed');
  if (id.endsWith('.git')) bad('may not end with ".git"');
}

/** Revisions are branch/tag names or commit hashes; refs like `refs/pr/1` keep their slashes. */
export function validateRevision(revision: string): void {
  const ok =
    revision.length > 0 &&
    revision.length <= 256 &&
    !revision.startsWith('/') &&
    !revision.includes('\\') &&
    !revision.includes('\0') &&
    revision.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
  if (!ok) throw new LenguaError(`invalid revision ${JSON.stringify(revision)}`);
}

/** Repo file paths: relative, `/`-separated, no `..` — they become paths on disk. */
export function validateRepoFile(file: string): void {
  const ok =
    file.length > 0 &&
    file.length <= 1024 &&
    !file.startsWith('/') &&
    !file.includes('\\') &&
    !file.includes('\0') &&
    file.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
  if (!ok) throw new LenguaError(`invalid file name ${JSON.stringify(file)}: must be a relative path inside the repository`);
}

export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** `models--org--name` */
export function repoFolderName(repoId: string): string {
  return `models--${repoId.split('/').join('--')}`;
}

export function repoCacheDir(cacheDir: string, repoId: string): string {
  return join(cacheDir, repoFolderName(repoId));
}

/** Commit hash for a revision from the cache (the revision itself when it is a hash), or undefined. */
export function cachedCommit(cacheDir: string, repoId: string, revision: string): string | undefined {
  if (COMMIT_HASH.test(revision)) return revision;
  const ref = join(repoCacheDir(cacheDir, repoId), 'refs', ...revision.split('/'));
  try {
    if (statSync(ref).size > 1024) return undefined;
    const hash = readFileSync(ref, 'utf8').trim();
    return COMMIT_HASH.test(hash) ? hash : undefined;
  } catch {
    return undefined;
  }
}

export function snapshotDir(cacheDir: string, repoId: string, commit: string): string {
  return join(repoCacheDir(cacheDir, repoId), 'snapshots', commit);
}

/** True when `<file>` is in the snapshot and its link resolves (a dangling symlink is missing). */
export function snapshotHas(snapshot: string, file: string): boolean {
  return existsSync(join(snapshot, ...file.split('/')));
}

/** True when the cache records that `file` does not exist at `commit`. */
export function knownMissing(cacheDir: string, repoId: string, commit: string, file: string): boolean {
  return existsSync(join(repoCacheDir(cacheDir, repoId), '.no_exist', commit, ...file.split('/')));
}

/**
 * For a real path inside a snapshot (`.../models--org--name/snapshots/<commit>[/...]`), the cache repo
 * folder `.../models--org--name` its links may point into (`../../blobs/<hash>`); else undefined.
 */
export function cacheRepoOfSnapshot(realPath: string): string | undefined {
  const parts = realPath.split(sep);
  for (let i = parts.length - 3; i >= 0; i--) {
    if (/^(models|datasets|spaces)--./.test(parts[i]!) && parts[i + 1] === 'snapshots' && parts[i + 2] !== '') return parts.slice(0, i + 1).join(sep);
  }
  return undefined;
}
