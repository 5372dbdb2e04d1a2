/**
 * `authPlugin`: API-key authentication, scopes and per-key rate limits for `lengua serve`.
 *
 * Routes declare `config: { scope: 'open' | 'predict' | 'admin' | 'metrics' }` (default 'predict');
 * 'metrics' takes the scope of the `metrics` option. Clients send `Authorization: Bearer lng_<id>_<secret>`.
 * Refusals are answered here, in Text Embeddings Inference's error shape, so they look the same whatever
 * error handler the host app sets: 401 (`WWW-Authenticate: Bearer`) for a missing, unknown, revoked or
 * wrong key; 403 for a key without the route's scope (admin implies predict); 429 with `Retry-After` for a
 * key over its rate, or an address that sent too many refused keys (which also bounds the scrypt work a
 * client can cause). Limits are counted by @fastify/rate-limit's store, keyed by key id or address, and
 * applied from this hook so they run after authentication and answer in the same shape.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit';
import type { AuditLog } from './audit.js';
import { KeyRing, MAX_KEY_LENGTH, parseKey, type ApiKeyInfo, type KeyCheck, type KeyRate } from './keys.js';

export type RouteScope = 'open' | 'predict' | 'admin' | 'metrics';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; see src/serve/auth.ts. */
    scope?: RouteScope;
  }
  interface FastifyRequest {
    /** The key that authenticated this request (null: an open route, or auth is off). */
    apiKey: ApiKeyInfo | null;
  }
}

export interface AuthPluginOptions {
  /** The key file (`lengua keys --keys FILE`); null turns authentication off. */
  keys: string | null;
  /** The scope of routes declaring `scope: 'metrics'` (the Prometheus endpoint). */
  metrics: 'open' | 'predict' | 'admin';
  /** Where refused requests go; off when absent. */
  audit?: AuditLog;
  /** How often at most the key file is looked at for changes (ms; default 1000). */
  reloadIntervalMs?: number;
  /** Refused keys one address may send per window before it gets 429 without a check (default 30 per minute). */
  maxFailures?: { max: number; windowMs: number };
}

const BEARER_RE = /^Bearer +(\S+) *$/i;

type Bearer = { kind: 'missing' } | { kind: 'malformed' } | { kind: 'token'; token: string };

function bearer(request: FastifyRequest): Bearer {
  const h = request.headers.authorization;
  if (h === undefined || h === '') return { kind: 'missing' };
  if (h.length > MAX_KEY_LENGTH + 16) return { kind: 'malformed' };
  const m = BEARER_RE.exec(h);
  return m === null ? { kind: 'malformed' } : { kind: 'token', token: m[1]! };
}

function send(reply: FastifyReply, status: number, errorType: string, message: string, headers: Record<string, string> = {}): FastifyReply {
  for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  return reply.code(status).send({ error: message, error_type: errorType });
}

const MESSAGES: Record<string, string> = {
  missing_key: 'this route needs an API key: send Authorization: Bearer <key>',
  // One message for every bad key, so an answer does not tell which ids exist.
  invalid: 'the API key is not valid',
};

async function auth(app: FastifyInstance, opts: AuthPluginOptions): Promise<void> {
  app.decorateRequest('apiKey', null);
  if (opts.keys === null) return;

  const ring = await KeyRing.open(opts.keys, {
    ...(opts.reloadIntervalMs !== undefined ? { reloadIntervalMs: opts.reloadIntervalMs } : {}),
    onReload: (e) => {
      if (e.ok) app.log.info({ keys: e.keys }, `key file ${opts.keys} re-read`);
      else app.log.error(`key file: ${e.error}`);
    },
  });
  const audit = opts.audit;
  const rateOf = new WeakMap<FastifyRequest, KeyRate>();
  const failWindow = opts.maxFailures ?? { max: 30, windowMs: 60_000 };

  // Counters only: the hook below decides and answers. `cache` is honoured by the store though not typed.
  await app.register(rateLimit, { global: false });
  const perKey = app.createRateLimit({
    keyGenerator: (req) => `key:${req.apiKey!.id}`,
    max: (req) => rateOf.get(req)!.max,
    timeWindow: (req) => rateOf.get(req)!.windowMs,
    cache: 20_000,
  } as CreateRateLimitOptions);
  const failures = app.createRateLimit({ keyGenerator: (req) => `ip:${req.ip}`, max: failWindow.max, timeWindow: failWindow.windowMs, cache: 20_000 } as CreateRateLimitOptions);
  // Addresses whose block this window is already in the audit log, so a blocked flood writes one line.
  const blockAudited = new Map<string, number>();

  const routeOf = (request: FastifyRequest): string => request.routeOptions.url ?? request.url.split('?')[0]!.slice(0, 200);

  const refuse = async (request: FastifyRequest, reply: FastifyReply, reason: string, keyId: string | undefined): Promise<FastifyReply> => {
    audit?.authFailure({ ip: request.ip, method: request.method, route: routeOf(request), reason, ...(keyId !== undefined ? { keyId } : {}) });
    await failures(request);
    return send(reply, 401, 'unauthorized', reason === 'missing_key' ? MESSAGES.missing_key! : MESSAGES.invalid!, { 'www-authenticate': 'Bearer' });
  };

  app.addHook('onRequest', async (request, reply) => {
    const declared = request.routeOptions.config?.scope ?? 'predict';
    const needed = declared === 'metrics' ? opts.metrics : declared;
    if (needed === 'open') return;

    await ring.refresh();
    const b = bearer(request);
    // A key verified before costs nothing to accept: it passes even from an address that is blocked.
    let result: KeyCheck | null = b.kind === 'token' ? ring.cachedVerify(b.token) : null;
    if (result === null) {
      const f = await failures(request, { increment: false });
      if (!f.isAllowed && f.remaining === 0) {
        const now = Date.now();
        if ((blockAudited.get(request.ip) ?? 0) <= now) {
          if (blockAudited.size >= 10_000) blockAudited.clear();
          blockAudited.set(request.ip, now + f.ttl);
          const keyId = b.kind === 'token' ? parseKey(b.token)?.id : undefined;
          audit?.authFailure({ ip: request.ip, method: request.method, route: routeOf(request), reason: 'too_many_failures', ...(keyId !== undefined ? { keyId } : {}) });
        }
        const after = Math.max(1, f.ttlInSeconds);
        return send(reply, 429, 'rate_limited', `too many refused API keys from this address; retry in ${after} s`, { 'retry-after': String(after) });
      }
      if (b.kind !== 'token') return refuse(request, reply, b.kind === 'missing' ? 'missing_key' : 'malformed', undefined);
      result = await ring.verify(b.token);
    }
    if (!result.ok) return refuse(request, reply, result.reason, result.keyId);

    const key = result.key;
    if (needed === 'admin' && key.scope !== 'admin') {
      audit?.authFailure({ ip: request.ip, method: request.method, route: routeOf(request), reason: 'forbidden', keyId: key.id, needed });
      return send(reply, 403, 'forbidden', `this route needs a key with scope admin; key ${key.name} has scope ${key.scope}`);
    }
    request.apiKey = key;
    if (result.rate === null) return;
    rateOf.set(request, result.rate);
    const r = await perKey(request);
    if (r.isAllowed) return;
    void reply.header('x-ratelimit-limit', String(r.max)).header('x-ratelimit-remaining', String(r.remaining)).header('x-ratelimit-reset', String(r.ttlInSeconds));
    if (r.isExceeded) {
      const after = Math.max(1, r.ttlInSeconds);
      return send(reply, 429, 'rate_limited', `key ${key.name} is over its rate of ${r.max} per ${r.timeWindow / 1000} s; retry in ${after} s`, { 'retry-after': String(after) });
    }
  });
}

/** Register before the routes: `await app.register(authPlugin, { keys: FILE | null, metrics: 'open', audit })`. */
export const authPlugin = fp(auth, { fastify: '5.x', name: 'lengua-auth' });
