import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LenguaError } from '../errors.js';
import {
  DTYPE_SIZE,
  findPickleWeights,
  pickleRefusal,
  readSafetensorsHeader,
  readSafetensorsIndex,
  resolveModel,
  SAFETENSORS_INDEX,
  SAFETENSORS_SINGLE,
  type ResolveOptions,
  type SafetensorsHeaderEntry,
} from '../hub/index.js';

interface DownloadFlags {
  revision?: string;
  cacheDir?: string;
  endpoint?: string;
  offline?: boolean;
  file?: string[];
  weights: boolean;
  json?: boolean;
  quiet?: boolean;
}

interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  file: string;
}

/** Every tensor of a safetensors file or model folder, from the headers only (no tensor bytes read). */
function listTensors(path: string): { rows: TensorRow[]; metadata: Record<string, string>; files: string[] } {
  const one = (file: string, label: string): { rows: TensorRow[]; metadata: Record<string, string> } => {
    const h = readSafetensorsHeader(file);
    const rows = [...h.entries].map(([name, e]: [string, SafetensorsHeaderEntry]) => ({
      name,
      dtype: e.dtype,
      shape: e.shape,
      bytes: e.dataOffsets[1] - e.dataOffsets[0],
      file: label,
    }));
    return { rows, metadata: h.metadata };
  };
  if (!existsSync(path)) throw new LenguaError('not found', { file: path });
  if (!statSync(path).isDirectory()) return { ...one(path, path), files: [path] };
  if (existsSync(join(path, SAFETENSORS_SINGLE))) return { ...one(join(path, SAFETENSORS_SINGLE), SAFETENSORS_SINGLE), files: [SAFETENSORS_SINGLE] };
  if (existsSync(join(path, SAFETENSORS_INDEX))) {
    const index = readSafetensorsIndex(join(path, SAFETENSORS_INDEX));
    const shards = [...new Set(Object.values(index.weight_map))].sort();
    const rows: TensorRow[] = [];
    let metadata: Record<string, string> = {};
    for (const s of shards) {
      const r = one(join(path, s), s);
      rows.push(...r.rows);
      metadata = { ...metadata, ...r.metadata };
    }
    return { rows: rows.sort((a, b) => (a.name < b.name ? -1 : 1)), metadata, files: shards };
  }
  const pickles = findPickleWeights(path);
  if (pickles.length > 0) throw pickleRefusal(path, pickles);
  throw new LenguaError(`no ${SAFETENSORS_SINGLE} or ${SAFETENSORS_INDEX}`, { file: path });
}

function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function register(program: Command): void {
  const hub = program.command('hub').description('download models from the Hugging Face Hub into its cache; inspect safetensors weights');

  hub
    .command('download')
    .description('resolve a model id like from_pretrained: local folder, then the HF cache, then a download; prints the folder')
    .argument('<id>', 'Hub id (org/name) or a local folder')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--cache-dir <dir>', 'cache root (default: $HF_HUB_CACHE or $HF_HOME/hub or ~/.cache/huggingface/hub)')
    .option('--endpoint <url>', 'Hub URL (default: $HF_ENDPOINT or https://huggingface.co)')
    .option('--offline', 'never use the network (same as HF_HUB_OFFLINE=1)')
    .option('--file <name...>', 'files that must exist (default: config.json)')
    .option('--no-weights', 'do not require model.safetensors (or its shards)')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print JSON: {dir, source, repoId, commit, fetched}')
    .action(async (id: string, f: DownloadFlags) => {
      let last = 0;
      const opts: ResolveOptions = {
        revision: f.revision,
        weights: f.weights,
        ...(f.cacheDir !== undefined ? { cacheDir: f.cacheDir } : {}),
        ...(f.endpoint !== undefined ? { endpoint: f.endpoint } : {}),
        ...(f.offline ? { offline: true } : {}),
        ...(f.file !== undefined ? { files: f.file } : {}),
        ...(f.quiet || f.json
          ? {}
          : {
              onProgress: ({ file, received, total }) => {
                const now = Date.now();
                if (now - last < 500 && received !== total) return;
                last = now;
                process.stderr.write(`${file}: ${humanBytes(received)}${total !== undefined ? ` / ${humanBytes(total)}` : ''}\n`);
              },
            }),
      };
      const r = await resolveModel(id, opts);
      if (f.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        const what = r.source === 'download' ? `downloaded ${r.fetched.length} file(s)` : r.source === 'cache' ? 'from the cache' : 'local folder';
        process.stdout.write(`${r.dir}\n`);
        if (!f.quiet) process.stderr.write(`${what}${r.commit !== undefined ? `, commit ${r.commit}` : ''}\n`);
      }
    });

  hub
    .command('inspect')
    .description('tensors, dtypes, shapes and sizes of a .safetensors file or model folder (reads headers only)')
    .argument('<path>', 'a .safetensors file or a folder with model.safetensors or model.safetensors.index.json')
    .option('--tensors', 'list every tensor')
    .option('--json', 'print JSON')
    .action((path: string, f: { tensors?: boolean; json?: boolean }) => {
      const { rows, metadata, files } = listTensors(path);
      const byDtype: Record<string, { tensors: number; parameters: number; bytes: number }> = {};
      let parameters = 0;
      let bytes = 0;
      for (const r of rows) {
        const n = r.bytes / (DTYPE_SIZE[r.dtype as keyof typeof DTYPE_SIZE] ?? 1);
        const d = (byDtype[r.dtype] ??= { tensors: 0, parameters: 0, bytes: 0 });
        d.tensors++;
        d.parameters += n;
        d.bytes += r.bytes;
        parameters += n;
        bytes += r.bytes;
      }
      if (f.json) {
        process.stdout.write(JSON.stringify({ files, metadata, tensors: rows.length, parameters, bytes, byDtype, ...(f.tensors ? { list: rows } : {}) }) + '\n');
        return;
      }
      const lines = [
        `${path}: ${rows.length} tensors, ${parameters.toLocaleString('en-US')} parameters, ${humanBytes(bytes)} in ${files.length} file(s)`,
        ...Object.entries(byDtype).map(([k, v]) => `  ${k}: ${v.tensors} tensors, ${v.parameters.toLocaleString('en-US')} parameters`),
        `  metadata: ${JSON.stringify(metadata)}`,
      ];
      if (f.tensors) for (const r of rows) lines.push(`  ${r.name}  ${r.dtype}  [${r.shape.join(', ')}]${files.length > 1 ? `  ${r.file}` : ''}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
