/**
 * The audit log: one JSON object per line (`audit.jsonl`, default in LENGUA_HOME), for refused
 * authentications and for admin actions (keys created or revoked, models staged or reloaded). Each event
 * is one write(2) of one whole line to a file opened with O_APPEND, so concurrent writers (a server and a
 * `lengua keys` command) interleave whole lines, never torn ones. The file is created 0600.
 *
 * Nothing secret goes in: a refused request is logged with the key's public id when the presented
 * token parses as a key, never the token.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { lenguaHome } from '../util/home.js';

export const defaultAuditPath = (): string => join(lenguaHome(), 'audit.jsonl');

export interface AuthFailureEvent {
  ip: string;
  method: string;
  /** The route's pattern (`/models/:name`), or the path when no route matched. */
  route: string;
  /** `missing_key`, `malformed`, `unknown_key`, `revoked_key`, `bad_secret`, `forbidden`, `too_many_failures`. */
  reason: string;
  keyId?: string;
  /** For `forbidden`: the scope the route needs. */
  needed?: string;
}

export interface AdminEvent {
  /** What was done: `key.create`, `key.revoke`, `model.reload`, ... */
  action: string;
  /** Who: `cli:<user>` for a command, `key:<name>` for a request. */
  actor: string;
  [detail: string]: unknown;
}

/** Longest string field written; longer values are cut (fields come from requests). */
const MAX_FIELD = 512;

export class AuditLog {
  /**
   * `onError` hears about a failed write (disk full, permissions): an audit problem must not fail the
   * request that caused it, but must not pass silently either.
   */
  constructor(
    readonly path: string = defaultAuditPath(),
    private readonly onError: (err: Error) => void = (err) => process.emitWarning(`audit log ${path}: ${err.message}`),
  ) {}

  authFailure(e: AuthFailureEvent): void {
    this.write({ event: 'auth_failure', ...e });
  }

  admin(e: AdminEvent): void {
    const { action, actor, ...details } = e;
    this.write({ event: 'admin', action, actor, ...details });
  }

  private write(fields: Record<string, unknown>): void {
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...bound(fields) })}\n`;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      // flag 'a' is O_APPEND|O_CREAT; a line of a few hundred bytes goes out in one write(2).
      appendFileSync(this.path, line, { mode: 0o600 });
    } catch (err) {
      this.onError(err as Error);
    }
  }
}

function bound(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' && v.length > MAX_FIELD ? `${v.slice(0, MAX_FIELD)}…` : v;
  }
  return out;
}
