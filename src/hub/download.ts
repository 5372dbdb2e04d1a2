/**
 * Downloads one file of a Hub repository into the shared cache layout (see cache.ts), the way
 * `huggingface_hub.hf_hub_download` does:
 *
 * 1. `HEAD {endpoint}/{repo}/resolve/{revision}/{file}` (following only same-origin redirects, such
 *    as a renamed repo) gives the commit (`X-Repo-Commit`), the blob id (`X-Linked-Etag` for LFS
 *    files, else `ETag`), the size and, for LFS files, a redirect to the CDN.
 * 2. If `blobs/<etag>` exists the file is already cached under another revision: only link it.
 * 3. Else `GET` into `blobs/<etag>.incomplete`, resuming a previous partial download with
 *    `Range: bytes=N-` (a 206 appends, a 200 restarts), retrying network failures with backoff,
 *    bounded by an idle timeout and a maximum size; the token is sent only to the endpoint's origin,
 *    never to the CDN. The finished blob is checked against its etag (sha256 for LFS, git blob sha1
 *    otherwise), renamed into place, then `snapshots/<commit>/<file>` is linked to it.
 *
 * Concurrent downloads of one blob (two calls, or two processes) are serialized by `<blob>.lock`.
 * Not handled: HTTP(S)_PROXY variables (Node's fetch ignores them).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { LenguaError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import {
  COMMIT_HASH,
  hubCacheDir,
  repoCacheDir,
  snapshotDir,
  tokenFromEnv,
  validateRepoFile,
  validateRepoId,
  validateRevision,
  type Env,
} from './cache.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface DownloadOptions {
  /** Hub URL; default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Access token; default `$HF_TOKEN` (or the `huggingface-cli login` token file). */
  token?: string;
  /** Branch, tag or commit; default `main`. */
  revision?: string;
  /** Cache root holding `models--*`; default as huggingface_hub (`$HF_HUB_CACHE`, `$HF_HOME/hub`, ...). */
  cacheDir?: string;
  /** Seconds without progress (connect, headers, or between body chunks) before an attempt fails; default 30. */
  timeoutMs?: number;
  /** Largest file accepted, in bytes; default 50 GB. */
  maxBytes?: number;
  /** Retries after a network failure, a 5xx or a 429; default 3. */
  retries?: number;
  /** First backoff delay in ms, doubled each retry; default 500. */
  retryDelayMs?: number;
  /** Replaces the global fetch (for instrumentation). */
  fetch?: typeof fetch;
  /** Environment to read HF_* variables from; default process.env. */
  env?: Env;
  /** How to name the revision in messages when `revision` is a commit pinned by the caller. */
  revisionLabel?: string;
  /** Called as bytes arrive. */
  onProgress?: (p: { file: string; received: number; total: number | undefined }) => void;
}

export interface RemoteFileInfo {
  commit: string;
  etag: string;
  size: number | undefined;
  /** Where to GET the bytes: the resolve URL, or the CDN URL an LFS file redirects to. */
  location: string;
}

export interface DownloadedFile {
  /** Path of the file inside `snapshots/<commit>/`. */
  path: string;
  commit: string;
  etag: string;
  /** True when the blob was already in the cache and nothing was transferred. */
  reused: boolean;
  /** True when the snapshot already had this file pointing at this blob. */
  alreadyInSnapshot: boolean;
}

/** An HTTP answer from the Hub that is not a success; `status` and `code` (`X-Error-Code`) for programs. */
export class HubHttpError extends LenguaError {
  readonly status: number;
  readonly code: string | undefined;
  /** The repository's commit, when the Hub sent one (a 404 for a missing file does). */
  readonly commit: string | undefined;
  constructor(message: string, status: number, code: string | undefined, commit: string | undefined, file?: string) {
    super(message, file !== undefined ? { file } : {});
    this.name = 'HubHttpError';
    this.status = status;
    this.code = code;
    this.commit = commit;
  }
}

interface Resolved {
  endpoint: string;
  origin: string;
  token: string | undefined;
  revision: string;
  cacheDir: string;
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  retryDelayMs: number;
  fetch: typeof fetch;
  revisionLabel: string | undefined;
}

function settle(opts: DownloadOptions): Resolved {
  const env = opts.env ?? process.env;
  const endpoint = (opts.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  let origin: string;
  try {
    const u = new URL(endpoint);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    origin = u.origin;
  } catch {
    throw new LenguaError(`invalid Hub endpoint ${JSON.stringify(endpoint)}: expected an http(s) URL`, { field: 'HF_ENDPOINT' });
  }
  const revision = opts.revision ?? 'main';
  validateRevision(revision);
  return {
    endpoint,
    origin,
    token: opts.token ?? tokenFromEnv(env),
    revision,
    cacheDir: opts.cacheDir ?? hubCacheDir(env),
    timeoutMs: opts.timeoutMs ?? 30_000,
    maxBytes: opts.maxBytes ?? 50e9,
    retries: opts.retries ?? 3,
    retryDelayMs: opts.retryDelayMs ?? 500,
    fetch: opts.fetch ?? globalThis.fetch,
    revisionLabel: opts.revisionLabel,
  };
}

export function resolveUrl(endpoint: string, repoId: string, revision: string, file: string): string {
  const enc = (s: string): string => s.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${enc(repoId)}/resolve/${encodeURIComponent(revision)}/${enc(file)}`;
}

/** Only the endpoint's own origin gets the token: a CDN or any other host never sees it. */
function headersFor(url: string, r: Resolved, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': 'lengua/0.1 (+huggingface_hub compatible)', ...extra };
  if (r.token !== undefined && new URL(url).origin === r.origin) h.authorization = `Bearer ${r.token}`;
  return h;
}

function normalizeEtag(raw: string | null): string | undefined {
  if (raw === null) return undefined;
  let e = raw.trim();
  if (e.startsWith('W/')) e = e.slice(2);
  e = e.replace(/^"+|"+$/g, '');
  return e;
}

/** The etag becomes a file name: accept only a plain token (hex hashes in practice). */
function checkEtag(etag: string | undefined, url: string): string {
  if (etag === undefined || etag === '') throw new LenguaError(`the server sent no ETag for ${url}; it does not behave like the Hugging Face Hub`);
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(etag)) {
    throw new LenguaError(`the server sent an unusable ETag ${JSON.stringify(etag.slice(0, 80))} for ${url}`);
  }
  return etag;
}

class TransientError extends Error {}

/** The Hub could not be reached (network failure, timeout, 5xx) after every retry. */
export class HubNetworkError extends LenguaError {
  constructor(message: string, cause: unknown) {
    super(message, {}, { cause });
    this.name = 'HubNetworkError';
  }
}

function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  if (err instanceof LenguaError) return false;
  // fetch network failures are TypeErrors ("fetch failed", "terminated"); timeouts are AbortErrors.
  return err instanceof TypeError || (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'));
}

async function withRetries<T>(what: string, r: Resolved, fn: () => Promise<T>): Promise<T> {
  let delay = r.retryDelayMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= r.retries) {
        if (isTransient(err)) {
          const cause = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
          throw new HubNetworkError(
            `${what} failed after ${attempt + 1} attempt(s): ${cause}. Check the network and HF_ENDPOINT (${r.endpoint}); ` +
              `with the files already cached, set HF_HUB_OFFLINE=1 to skip the network`,
            err,
          );
        }
        throw err;
      }
      await new Promise((res) => setTimeout(res, delay));
      delay *= 2;
    }
  }
}

/** fetch with an idle timeout covering the wait for the response headers. */
async function timedFetch(r: Resolved, url: string, init: RequestInit): Promise<{ res: Response; controller: AbortController; timer: { reset(): void; clear(): void } }> {
  const controller = new AbortController();
  let handle: NodeJS.Timeout | undefined;
  const timer = {
    reset(): void {
      if (handle !== undefined) clearTimeout(handle);
      handle = setTimeout(() => controller.abort(new TransientError(`no progress for ${r.timeoutMs} ms from ${new URL(url).origin}`)), r.timeoutMs);
    },
    clear(): void {
      if (handle !== undefined) clearTimeout(handle);
    },
  };
  timer.reset();
  try {
    const res = await r.fetch(url, { ...init, redirect: 'manual', signal: controller.signal });
    return { res, controller, timer };
  } catch (err) {
    timer.clear();
    if (controller.signal.aborted && controller.signal.reason instanceof TransientError) throw controller.signal.reason;
    throw err;
  }
}

function describeFailure(res: Response, repoId: string, revision: string, file: string, r: Resolved): HubHttpError {
  revision = r.revisionLabel ?? revision;
  const code = res.headers.get('x-error-code') ?? undefined;
  const commit = res.headers.get('x-repo-commit') ?? undefined;
  const serverMsg = res.headers.get('x-error-message');
  const extra = serverMsg ? ` (Hub says: ${serverMsg.slice(0, 300)})` : '';
  const where = `${repoId} (revision ${revision}) at ${r.endpoint}`;
  const tokenState = r.token === undefined ? 'HF_TOKEN is not set' : 'the HF_TOKEN in use was refused or lacks access';
  let msg: string;
  if (code === 'GatedRepo' || ((res.status === 401 || res.status === 403) && code !== 'RepoNotFound')) {
    msg =
      `access to ${where} denied (HTTP ${res.status}): the model is gated or private and ${tokenState}. ` +
      `Accept its conditions on its Hub page, then set HF_TOKEN to a token with read access`;
  } else if (code === 'RepoNotFound') {
    msg = `model ${where} not found (HTTP ${res.status}): check the id; if it is private or gated, ${tokenState} — set HF_TOKEN to a token with access`;
  } else if (code === 'RevisionNotFound') {
    msg = `revision "${revision}" of ${repoId} not found at ${r.endpoint} (HTTP ${res.status}): check the branch, tag or commit`;
  } else if (res.status === 404) {
    msg = `file "${file}" not found in ${where} (HTTP 404)`;
  } else {
    msg = `downloading "${file}" from ${where} failed: HTTP ${res.status}`;
  }
  return new HubHttpError(msg + extra, res.status, code ?? (res.status === 404 ? 'EntryNotFound' : undefined), commit, file);
}

const MAX_REDIRECTS = 10;

/** HEAD the resolve URL: commit, etag, size and where the bytes are. */
export async function fetchFileInfo(repoId: string, file: string, opts: DownloadOptions = {}): Promise<RemoteFileInfo> {
  validateRepoId(repoId);
  validateRepoFile(file);
  const r = settle(opts);
  return headInfo(repoId, file, r);
}

async function headInfo(repoId: string, file: string, r: Resolved): Promise<RemoteFileInfo> {
  return withRetries(`looking up "${file}" of ${repoId}`, r, async () => {
    let url = resolveUrl(r.endpoint, repoId, r.revision, file);
    for (let hop = 0; ; hop++) {
      const { res, timer } = await timedFetch(r, url, { method: 'HEAD', headers: headersFor(url, r, { 'accept-encoding': 'identity' }) });
      timer.clear();
      if (res.status >= 500 || res.status === 429) throw new TransientError(`HTTP ${res.status} from ${new URL(url).origin}`);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) {
        const next = new URL(location, url);
        // Same-origin redirects (renamed repos) are followed; a redirect elsewhere is the CDN holding
        // the bytes, and this response carries the metadata.
        if (next.origin === new URL(url).origin && !res.headers.has('x-linked-etag')) {
          if (hop >= MAX_REDIRECTS) throw new LenguaError(`too many redirects looking up "${file}" of ${repoId}`);
          url = next.toString();
          continue;
        }
        return infoFrom(res, next.toString(), url, true);
      }
      if (!res.ok) throw describeFailure(res, repoId, r.revision, file, r);
      const info = infoFrom(res, url, url, false);
      // GET the bytes at the commit the HEAD saw, so a push in between cannot swap the content.
      info.location = url.replace(`/resolve/${encodeURIComponent(r.revision)}/`, `/resolve/${info.commit}/`);
      return info;
    }
  });
}

function infoFrom(res: Response, location: string, url: string, redirected: boolean): RemoteFileInfo {
  const commit = res.headers.get('x-repo-commit') ?? '';
  if (!COMMIT_HASH.test(commit)) {
    throw new LenguaError(`the server sent no valid X-Repo-Commit for ${url}; it does not behave like the Hugging Face Hub`);
  }
  const etag = checkEtag(normalizeEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag')), url);
  // A redirect's Content-Length is that of its own body, not of the file.
  const sizeHeader = res.headers.get('x-linked-size') ?? (redirected ? null : res.headers.get('content-length'));
  const size = sizeHeader !== null && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : undefined;
  return { commit, etag, size, location };
}

/** Streams `location` into `incomplete`, resuming from its current length. Returns the final length. */
async function fetchBody(r: Resolved, location: string, incomplete: string, info: RemoteFileInfo, file: string, onProgress: DownloadOptions['onProgress']): Promise<number> {
  let start = existsSync(incomplete) ? statSync(incomplete).size : 0;
  if (info.size !== undefined && start > info.size) {
    rmSync(incomplete, { force: true });
    start = 0;
  }
  if (info.size !== undefined && start === info.size) return start;
  let url = location;
  for (let hop = 0; ; hop++) {
    const headers = headersFor(url, r, { 'accept-encoding': 'identity', ...(start > 0 ? { range: `bytes=${start}-` } : {}) });
    const { res, controller, timer } = await timedFetch(r, url, { method: 'GET', headers });
    try {
      const loc = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && loc !== null) {
        if (hop >= MAX_REDIRECTS) throw new LenguaError(`too many redirects downloading "${file}"`);
        url = new URL(loc, url).toString();
        await res.body?.cancel();
        continue;
      }
      if (res.status >= 500 || res.status === 429) throw new TransientError(`HTTP ${res.status} from ${new URL(url).origin}`);
      if (res.status === 416 && start > 0) {
        // The partial file does not fit what the server holds now: start over.
        await res.body?.cancel();
        rmSync(incomplete, { force: true });
        throw new TransientError('range not satisfiable; restarting the download');
      }
      if (res.status !== 200 && res.status !== 206) throw new LenguaError(`downloading "${file}" from ${new URL(url).origin} failed: HTTP ${res.status}`);
      let append = false;
      if (res.status === 206) {
        const cr = res.headers.get('content-range') ?? '';
        const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(cr.trim());
        if (m === null || Number(m[1]) !== start) {
          await res.body?.cancel();
          rmSync(incomplete, { force: true });
          throw new TransientError(`unexpected Content-Range "${cr}" for a resume from byte ${start}; restarting`);
        }
        append = true;
      }
      let received = append ? start : 0;
      const total = info.size;
      const fh = await open(incomplete, append ? 'a' : 'w');
      try {
        if (res.body === null) throw new TransientError('empty response body');
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          timer.reset();
          received += chunk.byteLength;
          if (received > r.maxBytes) throw new LenguaError(`"${file}" exceeds the ${r.maxBytes}-byte download limit (maxBytes)`);
          if (total !== undefined && received > total) throw new LenguaError(`"${file}" is larger than the ${total} bytes the Hub announced`);
          await fh.write(chunk);
          onProgress?.({ file, received, total });
        }
      } catch (err) {
        if (controller.signal.aborted && controller.signal.reason instanceof TransientError) throw controller.signal.reason;
        if (err instanceof LenguaError) rmSync(incomplete, { force: true });
        throw err;
      } finally {
        await fh.close();
      }
      if (total !== undefined && received !== total) throw new TransientError(`transfer of "${file}" ended at ${received} of ${total} bytes`);
      return received;
    } finally {
      timer.clear();
    }
  }
}

/** Verifies a finished blob against its etag when the etag is a content hash. */
async function verifyBlob(path: string, etag: string, file: string): Promise<void> {
  let kind: 'sha256' | 'git-sha1' | undefined;
  if (/^[0-9a-f]{64}$/.test(etag)) kind = 'sha256';
  else if (/^[0-9a-f]{40}$/.test(etag)) kind = 'git-sha1';
  if (kind === undefined) return;
  const hash = createHash(kind === 'sha256' ? 'sha256' : 'sha1');
  if (kind === 'git-sha1') hash.update(`blob ${statSync(path).size}\0`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const got = hash.digest('hex');
  if (got !== etag) {
    rmSync(path, { force: true });
    throw new LenguaError(`downloaded "${file}" does not match its checksum (${kind} ${got}, expected ${etag}); the partial file was removed, try again`);
  }
}

/**
 * Points `snapshots/<commit>/<file>` at the blob with a relative symlink, or a copy where links fail.
 * Returns false when the snapshot already had that link.
 */
function linkIntoSnapshot(blob: string, pointer: string): boolean {
  mkdirSync(dirname(pointer), { recursive: true });
  const target = relative(dirname(pointer), blob);
  let exists = false;
  try {
    const st = lstatSync(pointer);
    exists = true;
    if (st.isSymbolicLink() && readlinkSync(pointer) === target && existsSync(pointer)) return false;
  } catch {
    /* not there yet */
  }
  if (exists) rmSync(pointer, { force: true });
  try {
    symlinkSync(target, pointer);
  } catch {
    copyFileSync(blob, pointer);
  }
  return true;
}

/** Downloads in flight in this process, by blob path: a second caller waits instead of writing too. */
const inflight = new Map<string, Promise<unknown>>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding `<blob>.lock`, so two processes (or two calls in this one) never write the same
 * `.incomplete` file. The lock holds the owner's pid; a lock whose owner is gone is taken over.
 */
async function withBlobLock<T>(blob: string, fn: () => Promise<T>): Promise<T> {
  while (inflight.has(blob)) await inflight.get(blob)!.catch(() => undefined);
  const run = (async (): Promise<T> => {
    const lock = `${blob}.lock`;
    for (;;) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        let owner = NaN;
        try {
          owner = Number(readFileSync(lock, 'utf8').trim());
        } catch {
          continue; // released meanwhile
        }
        if (!Number.isSafeInteger(owner) || owner <= 0 || owner === process.pid || !pidAlive(owner)) {
          rmSync(lock, { force: true }); // stale: its owner is gone
          continue;
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { force: true });
    }
  })();
  inflight.set(blob, run);
  try {
    return await run;
  } finally {
    inflight.delete(blob);
  }
}

/** Records the commit a branch or tag resolved to, as huggingface_hub does (no trailing newline). */
export function writeRef(cacheDir: string, repoId: string, revision: string, commit: string): void {
  if (revision === commit) return;
  writeFileAtomic(join(repoCacheDir(cacheDir, repoId), 'refs', ...revision.split('/')), commit);
}

/** Records that a file does not exist at a commit, so later resolutions need no network to know it. */
export function markMissing(cacheDir: string, repoId: string, commit: string, file: string): void {
  if (!COMMIT_HASH.test(commit)) return;
  writeFileAtomic(join(repoCacheDir(cacheDir, repoId), '.no_exist', commit, ...file.split('/')), '');
}

/**
 * Downloads `file` of `repoId` at `opts.revision` into the cache and returns its snapshot path.
 * A missing file (404) throws a `HubHttpError` and is recorded in `.no_exist/<commit>/`.
 */
export async function downloadFile(repoId: string, file: string, opts: DownloadOptions = {}): Promise<DownloadedFile> {
  validateRepoId(repoId);
  validateRepoFile(file);
  const r = settle(opts);
  let info: RemoteFileInfo;
  try {
    info = await headInfo(repoId, file, r);
  } catch (err) {
    if (err instanceof HubHttpError && err.status === 404 && err.code === 'EntryNotFound') {
      const commit = err.commit ?? (COMMIT_HASH.test(r.revision) ? r.revision : undefined);
      if (commit !== undefined && COMMIT_HASH.test(commit)) {
        writeRef(r.cacheDir, repoId, r.revision, commit);
        markMissing(r.cacheDir, repoId, commit, file);
      }
    }
    throw err;
  }
  if (info.size !== undefined && info.size > r.maxBytes) {
    throw new LenguaError(`"${file}" of ${repoId} is ${info.size} bytes, over the ${r.maxBytes}-byte download limit (maxBytes)`);
  }
  const repoDir = repoCacheDir(r.cacheDir, repoId);
  const blob = join(repoDir, 'blobs', info.etag);
  const pointer = join(snapshotDir(r.cacheDir, repoId, info.commit), ...file.split('/'));
  let reused = true;
  if (!existsSync(blob)) {
    mkdirSync(dirname(blob), { recursive: true });
    reused = !(await withBlobLock(blob, async () => {
      if (existsSync(blob)) return false; // another download finished it while we waited
      const incomplete = `${blob}.incomplete`;
      await withRetries(`downloading "${file}" of ${repoId}`, r, () => fetchBody(r, info.location, incomplete, info, file, opts.onProgress));
      await verifyBlob(incomplete, info.etag, file);
      renameSync(incomplete, blob);
      return true;
    }));
  }
  const created = linkIntoSnapshot(blob, pointer);
  writeRef(r.cacheDir, repoId, r.revision, info.commit);
  return { path: pointer, commit: info.commit, etag: info.etag, reused, alreadyInSnapshot: !created };
}
