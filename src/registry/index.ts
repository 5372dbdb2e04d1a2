// Public face of the registry stage: versioned models with content-addressed, verifiable (optionally
// encrypted) files and stage pointers. No libtorch here: the server uses it; the CLI lends push an exporter.
export {
  Registry, BlobError, resolveRef, materialize, stageVersion, defaultRegistryDir, defaultCacheDir,
} from './registry.js';
export type {
  OpenOptions, PushOptions, PushResult, PushExporter, ExportOutcome, AuditEvent, AuditHook, ModelSummary, ResolvedRef, RefVia, Materialized,
  VerifyProblem, VerifyReport, ProblemKind,
} from './registry.js';
export { LocalStore, RefConflictError } from './store.js';
export type { RegistryStore, RefRead, PutRefOptions } from './store.js';
export { parseKey, readKeyFile, KEY_BYTES } from './crypto.js';
export { STAGES, checkName, checkVersion, MANIFEST_FORMAT } from './manifest.js';
export type { Manifest, ManifestFile, DataFingerprint, EvaluationSummary, Stage, StageState, SourceKind } from './manifest.js';
export { CARD_PATH, SOURCE_README } from './collect.js';
