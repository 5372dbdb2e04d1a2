// A loopback stand-in for the Hugging Face Hub, for tests: real HTTP servers on 127.0.0.1 — a "hub"
// answering /{repo}/resolve/{revision}/{file} (ETag, X-Repo-Commit, X-Error-Code, 302 to a CDN for
// LFS files, 401 for gated repos, 404) and a "CDN" on another port with Range support that can cut
// a transfer mid-body. The download tests (resolve.test.ts) and the demo test (cli/demo.test.ts) use it.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The token gated repos accept. */
export const TOKEN = 'hf_secret_test_token';

export interface Logged {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface Repo {
  commit: string;
  files: Map<string, Buffer>;
  lfs: Set<string>;
  gated?: boolean;
  refs: Map<string, string>;
}

/** Git's blob id: the ETag the Hub sends for a file that is not in LFS. */
export const gitSha1 = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const commitOf = (s: string): string => createHash('sha1').update(s).digest('hex');

export class FakeHub {
  repos = new Map<string, Repo>();
  renamed = new Map<string, string>();
  hubLog: Logged[] = [];
  cdnLog: Logged[] = [];
  /** sha256 -> bytes after which the CDN destroys the socket, for the next request only. */
  cutOnce = new Map<string, number>();
  /** The CDN answers 200 with the whole body even when a Range is asked. */
  ignoreRange = false;
  /** sha256 of blobs the CDN corrupts. */
  corrupt = new Set<string>();
  /** The CDN sends headers, then stalls. */
  stall = false;
  hub!: Server;
  cdn!: Server;
  hubUrl = '';
  cdnUrl = '';

  async start(): Promise<void> {
    this.hub = createServer((q, s) => this.onHub(q, s));
    this.cdn = createServer((q, s) => this.onCdn(q, s));
    await Promise.all([listen(this.hub), listen(this.cdn)]);
    this.hubUrl = `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
    this.cdnUrl = `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
  }

  stop(): void {
    for (const s of [this.hub, this.cdn]) {
      s.closeAllConnections();
      s.close();
    }
  }

  addRepo(id: string, files: Record<string, Buffer | string>, opts: { lfs?: string[]; gated?: boolean } = {}): Repo {
    const commit = commitOf(id + JSON.stringify(Object.keys(files)));
    const repo: Repo = {
      commit,
      files: new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])),
      lfs: new Set(opts.lfs ?? Object.keys(files).filter((f) => f.endsWith('.safetensors') || f.endsWith('.bin'))),
      gated: opts.gated,
      refs: new Map([['main', commit]]),
    };
    this.repos.set(id, repo);
    return repo;
  }

  /** A repo holding the files of a local model folder (its top level, as a model upload has). */
  addFolder(id: string, dir: string): Repo {
    const files = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => [e.name, readFileSync(join(dir, e.name))] as const);
    return this.addRepo(id, Object.fromEntries(files));
  }

  requests(): number {
    return this.hubLog.length + this.cdnLog.length;
  }

  private onHub(req: IncomingMessage, res: ServerResponse): void {
    this.hubLog.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(decodeURI(req.url ?? ''));
    if (m === null) return void res.writeHead(404).end();
    const [, id, rev, file] = m as unknown as [string, string, string, string];
    const newName = this.renamed.get(id);
    if (newName !== undefined) {
      res.writeHead(307, { location: `/${newName}/resolve/${rev}/${file}` });
      return void res.end();
    }
    const repo = this.repos.get(id);
    if (repo === undefined) {
      res.writeHead(401, { 'x-error-code': 'RepoNotFound', 'x-error-message': 'Repository not found' });
      return void res.end();
    }
    if (repo.gated && req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access to model is restricted' });
      return void res.end();
    }
    const commit = /^[0-9a-f]{40}$/.test(rev) ? (rev === repo.commit ? rev : undefined) : repo.refs.get(rev);
    if (commit === undefined) {
      res.writeHead(404, { 'x-error-code': 'RevisionNotFound' });
      return void res.end();
    }
    const body = repo.files.get(file);
    if (body === undefined) {
      res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit });
      return void res.end();
    }
    if (repo.lfs.has(file)) {
      const sha = sha256(body);
      // The pointer file's git etag in ETag, the real content hash in X-Linked-Etag, like the Hub.
      res.writeHead(302, {
        location: `${this.cdnUrl}/blobs/${sha}?sig=abc`,
        etag: `"${gitSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\n`))}"`,
        'x-linked-etag': `"${sha}"`,
        'x-linked-size': String(body.length),
        'x-repo-commit': commit,
        'content-length': '0',
      });
      return void res.end();
    }
    res.writeHead(200, { etag: `"${gitSha1(body)}"`, 'x-repo-commit': commit, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private onCdn(req: IncomingMessage, res: ServerResponse): void {
    this.cdnLog.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const sha = /^\/blobs\/([0-9a-f]{64})/.exec(req.url ?? '')?.[1];
    let body: Buffer | undefined;
    for (const repo of this.repos.values()) for (const b of repo.files.values()) if (sha256(b) === sha) body = b;
    if (body === undefined || sha === undefined) return void res.writeHead(404).end();
    if (this.corrupt.has(sha)) body = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from([body[body.length - 1]! ^ 0xff])]);
    let start = 0;
    const range = req.headers.range;
    if (range !== undefined && !this.ignoreRange) {
      start = Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? 0);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` });
        return void res.end();
      }
      res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': String(body.length - start) });
    } else {
      res.writeHead(200, { 'content-length': String(body.length) });
    }
    const part = body.subarray(start);
    if (this.stall) {
      res.flushHeaders();
      return;
    }
    const cut = this.cutOnce.get(sha);
    if (cut !== undefined) {
      this.cutOnce.delete(sha);
      res.write(part.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(part);
  }
}

export function listen(s: Server): Promise<void> {
  return new Promise((ok) => s.listen(0, '127.0.0.1', () => ok()));
}
