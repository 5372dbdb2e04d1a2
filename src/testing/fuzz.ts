/**
 * Shared by the fuzz suites (`*.fuzz.test.ts`): how many cases each property runs, and the property they
 * all check — any input gives a result or a LenguaError, never another exception.
 * `npm test` runs a bounded number of cases; `npm run fuzz` runs many more (LENGUA_FUZZ_RUNS).
 */
import { LenguaError } from '../errors.js';

/** Cases per property: LENGUA_FUZZ_RUNS, or a count that keeps `npm test` fast. */
export function fuzzRuns(fast = 200): number {
  const n = Number(process.env.LENGUA_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fast;
}

/** Seed of the fast-check runs: LENGUA_FUZZ_SEED to replay a failure, else fast-check's random seed. */
export function fuzzSeed(): number | undefined {
  const n = Number(process.env.LENGUA_FUZZ_SEED);
  return process.env.LENGUA_FUZZ_SEED !== undefined && Number.isInteger(n) ? n : undefined;
}

/** Runs `fn`; returns normally on success or a LenguaError, rethrows anything else (the fuzz failure). */
export function resultOrLenguaError<T>(fn: () => T): T | LenguaError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LenguaError) return err;
    throw err;
  }
}
