/**
 * Turns a model id into a local folder, as `from_pretrained` does:
 * 1. an existing local folder is used as is;
 * 2. else a Hub id (`name` or `org/name`) is looked up in the Hugging Face cache
 *    (`models--org--name/refs/<revision>` -> `snapshots/<commit>/`); when every needed file is there
 *    (optional ones may instead be recorded as absent in `.no_exist/`), no network is used, so
 *    models Python already downloaded are reused;
 * 3. else what is missing is downloaded into that same cache (download.ts), all at one commit.
 * Offline mode (`HF_HUB_OFFLINE=1`, `TRANSFORMERS_OFFLINE=1`, or `offline: true`) never opens a
 * connection and names what is missing.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { LenguaError } from '../errors.js';
import {
  cachedCommit,
  hubCacheDir,
  isOfflineEnv,
  knownMissing,
  repoCacheDir,
  repoFolderName,
  snapshotDir,
  snapshotHas,
  validateRepoFile,
  validateRepoId,
  validateRevision,
} from './cache.js';
import { findPickleWeights, readSafetensorsIndex, SAFETENSORS_INDEX, SAFETENSORS_SINGLE } from './checkpoint.js';
import { downloadFile, fetchFileInfo, HubHttpError, HubNetworkError, type DownloadOptions } from './download.js';
import { checkModelFolder } from './model-files.js';

/** Fetched when the repository has them; their absence is not an error. */
export const DEFAULT_OPTIONAL_FILES: readonly string[] = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'generation_config.json',
];

export interface ResolveOptions extends DownloadOptions {
  /** Never use the network; default from `HF_HUB_OFFLINE` / `TRANSFORMERS_OFFLINE`. */
  offline?: boolean;
  /** Files that must exist; default `['config.json']`. */
  files?: string[];
  /** Files fetched when they exist; default tokenizer files and generation_config.json. */
  optionalFiles?: string[];
  /** Also require the weights: `model.safetensors`, or its index and every shard. Default true. */
  weights?: boolean;
}

export interface ResolvedModel {
  dir: string;
  /** `local`: an existing folder; `cache`: found complete in the cache; `download`: fetched now. */
  source: 'local' | 'cache' | 'download';
  repoId?: string;
  commit?: string;
  /** Files transferred or linked by this call. */
  fetched: string[];
}

/** Resolves a model id or folder to a local folder; see `resolveModel`. */
export async function resolveModelDir(idOrDir: string, opts: ResolveOptions = {}): Promise<string> {
  return (await resolveModel(idOrDir, opts)).dir;
}

function looksLikePath(s: string): boolean {
  return s.startsWith('.') || s.startsWith('~') || isAbsolute(s) || s.includes('\\') || s.split('/').length > 2;
}

interface Needs {
  required: string[];
  optional: string[];
  weights: boolean;
}

/** What a snapshot lacks: `missing` must be fetched; `unknown` optional files may exist remotely. */
function inspect(cacheDir: string, repoId: string, commit: string, needs: Needs): { missing: string[]; unknown: string[] } {
  const snap = snapshotDir(cacheDir, repoId, commit);
  const missing = needs.required.filter((f) => !snapshotHas(snap, f));
  const unknown = needs.optional.filter((f) => !snapshotHas(snap, f) && !knownMissing(cacheDir, repoId, commit, f));
  if (needs.weights && !snapshotHas(snap, SAFETENSORS_SINGLE)) {
    if (snapshotHas(snap, SAFETENSORS_INDEX)) {
      try {
        const index = readSafetensorsIndex(join(snap, SAFETENSORS_INDEX));
        for (const shard of new Set(Object.values(index.weight_map))) if (!snapshotHas(snap, shard)) missing.push(shard);
      } catch {
        missing.push(SAFETENSORS_INDEX);
      }
    } else {
      missing.push(SAFETENSORS_SINGLE);
    }
  }
  return { missing, unknown };
}

/**
 * Resolves `idOrDir` (a folder, or a Hub id at `opts.revision`, default `main`) to a local folder,
 * downloading what the cache lacks unless offline. Errors name the id, revision, cache folder and
 * the missing files.
 */
export async function resolveModel(idOrDir: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const r = await resolveUnchecked(idOrDir, opts);
  // Whatever the source, a folder whose model files link out of it is refused before anything is read.
  checkModelFolder(r.dir);
  return r;
}

async function resolveUnchecked(idOrDir: string, opts: ResolveOptions): Promise<ResolvedModel> {
  if (existsSync(idOrDir)) {
    if (!statSync(idOrDir).isDirectory()) throw new LenguaError('expected a model folder, found a file', { file: idOrDir });
    return { dir: resolvePath(idOrDir), source: 'local', fetched: [] };
  }
  if (looksLikePath(idOrDir)) throw new LenguaError('local model folder not found', { file: idOrDir });
  const repoId = idOrDir;
  validateRepoId(repoId);
  const env = opts.env ?? process.env;
  const revision = opts.revision ?? 'main';
  validateRevision(revision);
  const cacheDir = opts.cacheDir ?? hubCacheDir(env);
  const offline = opts.offline ?? isOfflineEnv(env);
  const needs: Needs = {
    required: opts.files ?? ['config.json'],
    optional: (opts.optionalFiles ?? [...DEFAULT_OPTIONAL_FILES]).filter((f) => !(opts.files ?? ['config.json']).includes(f)),
    weights: opts.weights ?? true,
  };
  for (const f of [...needs.required, ...needs.optional]) validateRepoFile(f);

  const commit = cachedCommit(cacheDir, repoId, revision);
  let usable = false;
  if (commit !== undefined) {
    const state = inspect(cacheDir, repoId, commit, needs);
    usable = state.missing.length === 0;
    if (usable && (state.unknown.length === 0 || offline)) {
      return { dir: snapshotDir(cacheDir, repoId, commit), source: 'cache', repoId, commit, fetched: [] };
    }
  }
  if (offline) throw offlineError(repoId, revision, cacheDir, commit, needs, opts, env);
  try {
    return await download(repoId, revision, cacheDir, needs, opts);
  } catch (err) {
    // Like huggingface_hub: when the Hub cannot be reached but the cache has everything required
    // (only optional files are unchecked), work from the cache.
    if (usable && commit !== undefined && err instanceof HubNetworkError) {
      return { dir: snapshotDir(cacheDir, repoId, commit), source: 'cache', repoId, commit, fetched: [] };
    }
    throw err;
  }
}

/** Why no connection may be made, and how to lift it, for offline errors. */
function offlineCause(opts: ResolveOptions, env: Record<string, string | undefined>): { why: string; lift: string } {
  if (opts.offline === true) return { why: 'offline mode (--offline / offline: true)', lift: 'drop --offline (offline: true) so Lengua can download it' };
  const vars = ['HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE'].filter((v) => isOfflineEnv({ [v]: env[v] }));
  const set = vars.map((v) => `${v}=${env[v]}`).join(', ');
  return { why: `offline mode (${set})`, lift: `unset ${vars.join(' and ')} so Lengua can download it` };
}

/** The files a resolve looks for, in words. */
function describeNeeds(needs: Needs): string {
  const parts = [...needs.required];
  if (needs.weights) parts.push(`${SAFETENSORS_SINGLE} (or ${SAFETENSORS_INDEX} and its shards)`);
  if (parts.length === 0) return `any of ${needs.optional.join(', ')}`;
  return needs.optional.length > 0 ? `${parts.join(', ')}, and where the repository has them ${needs.optional.join(', ')}` : parts.join(', ');
}

function offlineError(
  repoId: string,
  revision: string,
  cacheDir: string,
  commit: string | undefined,
  needs: Needs,
  opts: ResolveOptions,
  env: Record<string, string | undefined>,
): LenguaError {
  const repoDir = repoCacheDir(cacheDir, repoId);
  const { why, lift } = offlineCause(opts, env);
  const rev = revision === 'main' ? '' : ` --revision ${revision}`;
  const todo =
    `To use it: ${lift}; or run \`lengua hub download ${repoId}${rev}\` on a connected machine and copy ${repoFolderName(repoId)} ` +
    `into this cache (${cacheDir}) or point HF_HUB_CACHE at a cache that has it; or pass a local folder holding the model files (a path such as ./model).`;
  if (commit === undefined) {
    return new LenguaError(
      `${why}: ${repoId} at revision "${revision}" is not in the Hugging Face cache: there is no ${join(repoDir, 'refs', ...revision.split('/'))} ` +
        `to say which snapshot to use. Looked for ${describeNeeds(needs)} under ${join(repoDir, 'snapshots')}. ${todo}`,
      { file: repoDir },
    );
  }
  const { missing } = inspect(cacheDir, repoId, commit, needs);
  const snap = snapshotDir(cacheDir, repoId, commit);
  const pickles = findPickleWeights(snap);
  const pickleNote =
    pickles.length > 0 && missing.some((f) => f.endsWith('.safetensors') || f === SAFETENSORS_INDEX)
      ? ` The snapshot has only pickle weights (${pickles.join(', ')}), which Lengua never loads because unpickling can run arbitrary code; convert them with save_pretrained(dir, safe_serialization=True) in Python.`
      : '';
  return new LenguaError(
    `${why}: ${repoId} at revision "${revision}" (commit ${commit}) is incomplete in the cache ${snap}. ` +
      `Missing: ${missing.length > 0 ? missing.join(', ') : describeNeeds(needs)}.${pickleNote} ${todo}`,
    { file: snap },
  );
}

async function download(repoId: string, revision: string, cacheDir: string, needs: Needs, opts: ResolveOptions): Promise<ResolvedModel> {
  let commit: string | undefined;
  const fetched: string[] = [];
  // The first request uses the revision (and records refs/<revision>); later ones use its commit so
  // every file comes from the same state of the repository even if a push lands meanwhile.
  const get = async (file: string, optional: boolean): Promise<boolean> => {
    if (commit !== undefined) {
      if (snapshotHas(snapshotDir(cacheDir, repoId, commit), file)) return true;
      if (optional && knownMissing(cacheDir, repoId, commit, file)) return false;
    }
    try {
      const d = await downloadFile(repoId, file, {
        ...opts,
        cacheDir,
        revision: commit ?? revision,
        revisionLabel: commit === undefined || commit === revision ? revision : `${revision}, commit ${commit}`,
      });
      commit ??= d.commit;
      if (!d.alreadyInSnapshot) fetched.push(file);
      return true;
    } catch (err) {
      if (err instanceof HubHttpError && err.status === 404 && err.code === 'EntryNotFound') {
        if (commit === undefined && err.commit !== undefined && /^[0-9a-f]{40}$/.test(err.commit)) commit = err.commit;
        if (optional) return false;
      }
      throw err;
    }
  };
  for (const f of needs.required) await get(f, false);
  if (needs.weights) await getWeights(repoId, revision, cacheDir, opts, get, () => commit);
  let foundOptional = 0;
  for (const f of needs.optional) if (await get(f, true)) foundOptional++;
  if (needs.required.length === 0 && !needs.weights && foundOptional === 0) {
    throw new LenguaError(`none of the files looked for exist in ${repoId} (revision ${revision}): ${needs.optional.join(', ')}`);
  }
  if (commit === undefined) throw new LenguaError(`nothing was requested for ${repoId}: pass files or weights`);
  const dir = snapshotDir(cacheDir, repoId, commit);
  return { dir, source: 'download', repoId, commit, fetched };
}

async function getWeights(
  repoId: string,
  revision: string,
  cacheDir: string,
  opts: ResolveOptions,
  get: (file: string, optional: boolean) => Promise<boolean>,
  commitNow: () => string | undefined,
): Promise<void> {
  if (await get(SAFETENSORS_SINGLE, true)) return;
  if (await get(SAFETENSORS_INDEX, true)) {
    const commit = commitNow() as string;
    const index = readSafetensorsIndex(join(snapshotDir(cacheDir, repoId, commit), SAFETENSORS_INDEX));
    for (const shard of [...new Set(Object.values(index.weight_map))].sort()) await get(shard, false);
    return;
  }
  // No safetensors: say whether the repository holds pickle weights, which are refused on purpose.
  const at = commitNow() ?? revision;
  let hasPickle = false;
  try {
    await fetchFileInfo(repoId, 'pytorch_model.bin', { ...opts, cacheDir, revision: at });
    hasPickle = true;
  } catch (err) {
    if (!(err instanceof HubHttpError && err.status === 404)) throw err;
  }
  if (hasPickle) {
    throw new LenguaError(
      `${repoId} (revision ${revision}) has only pickle weights (pytorch_model.bin). Lengua does not load pickle ` +
        `checkpoints: unpickling can execute arbitrary code. Look for a revision with model.safetensors (e.g. the ` +
        `Hub's "refs/pr/N" conversion PR via revision), or convert it in a Python environment you trust: ` +
        `AutoModel.from_pretrained(id).save_pretrained(dir, safe_serialization=True)`,
    );
  }
  throw new LenguaError(`${repoId} (revision ${revision}) has no ${SAFETENSORS_SINGLE} or ${SAFETENSORS_INDEX}`);
}
