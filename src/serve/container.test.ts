// The packaging of `lengua serve`: Dockerfile, docker-compose.yml, deploy/prometheus.yml, deploy/k8s/.
//
// The first tests read those files (always run, fast): what each must hold, and that they agree with each
// other and with the server (flags, routes, port, user, key file path). The last one builds the image and
// runs it for real: a model and a key file mounted, /ready, 401 without the key, 200 with it, /metrics,
// uid 1000, no libtorch, exit 0 on SIGTERM. It needs a Docker daemon and takes minutes on a cold cache, so
// it runs only with LENGUA_TEST_CONTAINER=1 (and DOCKER_HOST where the daemon is not the default one;
// DOCKER names the CLI). See deploy/README.md, "Testing the image".
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { buildProgram } from '../cli/program.js';
import { REPO, runCli } from '../cli/testing.js';
import { golden, skipWithoutGolden } from '../testing/golden.js';
import { parseKeyFile } from './keys.js';

const read = (rel: string): string => readFileSync(join(REPO, rel), 'utf8');
type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what}: expected a mapping`);
  return v as Obj;
};
const arr = (v: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(v), `${what}: expected a list`);
  return v;
};

/** Where the image reads the key file (compose secret, k8s Secret mount, the test's bind mount). */
const KEYS_IN_CONTAINER = '/run/secrets/lengua/keys.json';
const MODEL_IN_CONTAINER = '/models/model';

/** The long flags of `lengua serve`, from the CLI itself. */
async function serveFlags(): Promise<Set<string>> {
  const serve = (await buildProgram()).commands.find((c) => c.name() === 'serve');
  assert.ok(serve !== undefined, 'no serve command');
  return new Set(serve.options.map((o) => o.long).filter((l): l is string => l !== undefined));
}

const SERVE_FLAGS = await serveFlags();

/** Every `--flag` in an argument list is a flag of `lengua serve`; returns the value after `flag`. */
function checkServeArgs(args: readonly string[], where: string): Map<string, string> {
  const flags = SERVE_FLAGS;
  const values = new Map<string, string>();
  args.forEach((a, i) => {
    if (!a.startsWith('--')) return;
    assert.ok(flags.has(a), `${where}: ${a} is not a flag of lengua serve`);
    values.set(a, args[i + 1] ?? '');
  });
  return values;
}

// ---- Dockerfile ----

/** The instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  const joined = text.replace(/\\\n/g, ' ').split('\n');
  return joined
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]! };
    });
}

test('Dockerfile: two stages from node:20-bookworm-slim, no registry-only syntax, no extra CAs', () => {
  const text = read('Dockerfile');
  const ins = instructions(text);
  const froms = ins.filter((i) => i.op === 'FROM').map((i) => i.args);
  assert.deepEqual(froms, ['node:20-bookworm-slim AS build', 'node:20-bookworm-slim']);
  // `# syntax=` makes BuildKit pull a frontend image; the legacy builder and offline builds need none.
  assert.doesNotMatch(text, /^#\s*syntax\s*=/im);
  assert.doesNotMatch(text, /NODE_EXTRA_CA_CERTS|--pull/);
  const build = ins.slice(0, ins.findIndex((i, k) => k > 0 && i.op === 'FROM'));
  assert.ok(build.some((i) => i.op === 'RUN' && /npm ci\b/.test(i.args) && !/--omit=dev/.test(i.args)), 'build stage installs dev dependencies');
  assert.ok(build.some((i) => i.op === 'RUN' && /npm run build/.test(i.args)));
  assert.ok(build.some((i) => i.op === 'ENV' && /ONNXRUNTIME_NODE_INSTALL=skip/.test(i.args)));
});

test('Dockerfile: the runtime stage has production dependencies, dist/ and bin/ only; non-root; port, health check, entrypoint', () => {
  const ins = instructions(read('Dockerfile'));
  const runtime = ins.slice(ins.findIndex((i, k) => k > 0 && i.op === 'FROM'));
  const runs = runtime.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
  assert.match(runs, /npm ci --omit=dev --ignore-scripts/);
  const copied = runtime.filter((i) => i.op === 'COPY').map((i) => i.args);
  assert.deepEqual(copied.sort(), ['--from=build /app/dist ./dist', 'bin ./bin', 'package.json package-lock.json ./'].sort());
  for (const c of copied) assert.doesNotMatch(c, /\bsrc\b|native|\.test\./, c);
  const last = (op: string): string => runtime.filter((i) => i.op === op).at(-1)?.args ?? '';
  assert.equal(last('USER'), 'node');
  assert.equal(last('EXPOSE'), '8080');
  assert.match(last('ENV'), /LENGUA_HOME=\/home\/node\/\.lengua/);
  assert.match(last('ENV'), /ORT_DISABLE_TELEMETRY=1/);
  assert.match(last('HEALTHCHECK'), /CMD .*http:\/\/127\.0\.0\.1:8080\/health/);
  const entry = JSON.parse(last('ENTRYPOINT')) as string[];
  assert.deepEqual(entry.slice(0, 2), ['lengua', 'serve']);
  const entryFlags = checkServeArgs(entry.slice(2), 'ENTRYPOINT');
  assert.equal(entryFlags.get('--host'), '0.0.0.0');
  assert.equal(entryFlags.get('--port'), '8080');
  const cmd = checkServeArgs(JSON.parse(last('CMD')) as string[], 'CMD');
  assert.equal(cmd.get('--model'), `model=${MODEL_IN_CONTAINER}`);
  // bin/lengua.js runs dist/ when src/ is absent, as in the image.
  assert.match(read('bin/lengua.js'), /existsSync\(source\)[\s\S]*dist', 'cli', 'main\.js'/);
});

test('.dockerignore: an allowlist that leaves out node_modules, native/, tests and fixtures', () => {
  const lines = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(lines[0], '*');
  const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
  assert.deepEqual(allowed.sort(), ['bin', 'package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json']);
  assert.ok(lines.includes('src/**/*.test.ts') && lines.includes('src/**/fixtures/'));
});

// ---- docker-compose.yml, deploy/prometheus.yml ----

test('docker-compose.yml: the server (keys as a secret, model read-only, hardened) and Prometheus scraping it', () => {
  const doc = obj(parseYaml(read('docker-compose.yml')), 'docker-compose.yml');
  const services = obj(doc.services, 'services');
  assert.deepEqual(Object.keys(services).sort(), ['lengua', 'prometheus']);
  const lengua = obj(services.lengua, 'services.lengua');
  assert.equal(lengua.build, '.');
  assert.equal(lengua.init, true);
  assert.equal(lengua.read_only, true);
  assert.deepEqual(lengua.cap_drop, ['ALL']);
  const args = checkServeArgs(arr(lengua.command, 'command') as string[], 'services.lengua.command');
  assert.equal(args.get('--keys'), KEYS_IN_CONTAINER);
  assert.equal(args.get('--model'), `model=${MODEL_IN_CONTAINER}`);
  assert.deepEqual(lengua.ports, ['127.0.0.1:8080:8080']);
  const volumes = arr(lengua.volumes, 'volumes') as string[];
  assert.ok(volumes.some((v) => v.endsWith(`:${MODEL_IN_CONTAINER}:ro`)), 'model mounted read-only');
  assert.ok(volumes.some((v) => v.endsWith(':/home/node/.lengua')), 'LENGUA_HOME on a volume (read-only root)');
  const secret = obj(arr(lengua.secrets, 'secrets')[0], 'secrets[0]');
  assert.equal(secret.target, KEYS_IN_CONTAINER);
  assert.ok(obj(doc.secrets, 'secrets')[secret.source as string] !== undefined, 'the secret is declared');

  const prom = obj(services.prometheus, 'services.prometheus');
  assert.match(String(prom.image), /^prom\/prometheus:v\d+\.\d+\.\d+$/, 'a pinned Prometheus');
  assert.ok((arr(prom.volumes, 'volumes') as string[]).includes('./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
  const config = obj(parseYaml(read('deploy/prometheus.yml')), 'deploy/prometheus.yml');
  const job = obj(arr(config.scrape_configs, 'scrape_configs')[0], 'scrape_configs[0]');
  assert.equal(job.metrics_path, '/metrics');
  assert.deepEqual(obj(arr(job.static_configs, 'static_configs')[0], 'static_configs[0]').targets, ['lengua:8080']);
});

// ---- deploy/k8s ----

function k8s(): Map<string, Obj> {
  const dir = join(REPO, 'deploy', 'k8s');
  const byKind = new Map<string, Obj>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
      assert.deepEqual(d.errors, [], `${f}: YAML errors`);
      const o = obj(d.toJS(), f);
      assert.equal(typeof o.apiVersion, 'string', `${f}: apiVersion`);
      assert.equal(typeof o.kind, 'string', `${f}: kind`);
      if (o.kind !== 'Kustomization') assert.match(String(obj(o.metadata, `${f}: metadata`).name), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${f}: metadata.name`);
      assert.ok(!byKind.has(String(o.kind)), `${f}: a second ${String(o.kind)}`);
      byKind.set(String(o.kind), { ...o, file: f });
    }
  }
  return byKind;
}

test('deploy/k8s: every manifest parses, has its kind\'s apiVersion, and kustomization.yaml lists them all', () => {
  const m = k8s();
  const expected: Record<string, string> = {
    Deployment: 'apps/v1', Service: 'v1', HorizontalPodAutoscaler: 'autoscaling/v2', Secret: 'v1', ConfigMap: 'v1',
    PersistentVolumeClaim: 'v1', PodDisruptionBudget: 'policy/v1', Kustomization: 'kustomize.config.k8s.io/v1beta1',
  };
  assert.deepEqual([...m.keys()].sort(), Object.keys(expected).sort());
  for (const [kind, o] of m) assert.equal(o.apiVersion, expected[kind], `${kind}.apiVersion`);
  const listed = (arr(m.get('Kustomization')!.resources, 'resources') as string[]).sort();
  const files = [...m.values()].map((o) => String(o.file)).filter((f) => f !== 'kustomization.yaml').sort();
  assert.deepEqual(listed, files);
});

test('deploy/k8s Deployment: probes on the server\'s routes, non-root, read-only root, resources, mounts that exist', () => {
  const m = k8s();
  const dep = obj(m.get('Deployment')!.spec, 'spec');
  const template = obj(dep.template, 'template');
  const podLabels = obj(obj(template.metadata, 'metadata').labels, 'labels');
  assert.deepEqual(obj(dep.selector, 'selector').matchLabels, podLabels);
  const pod = obj(template.spec, 'template.spec');
  const psc = obj(pod.securityContext, 'securityContext');
  assert.equal(psc.runAsNonRoot, true);
  assert.equal(psc.runAsUser, 1000);
  assert.equal(psc.fsGroup, 1000);
  assert.equal(pod.automountServiceAccountToken, false);
  const containers = arr(pod.containers, 'containers');
  assert.equal(containers.length, 1);
  const c = obj(containers[0], 'containers[0]');
  const args = checkServeArgs(arr(c.args, 'args') as string[], 'Deployment args');
  assert.equal(args.get('--keys'), KEYS_IN_CONTAINER);
  assert.equal(args.get('--model'), `model=${MODEL_IN_CONTAINER}`);
  const port = obj(arr(c.ports, 'ports')[0], 'ports[0]');
  assert.equal(port.containerPort, 8080);
  const probe = (name: string): Obj => obj(obj(c[name], name).httpGet, `${name}.httpGet`);
  assert.equal(probe('readinessProbe').path, '/ready');
  assert.equal(probe('livenessProbe').path, '/health');
  assert.equal(probe('startupProbe').path, '/health');
  for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe']) assert.equal(probe(p).port, port.name, `${p}.port`);
  const csc = obj(c.securityContext, 'container securityContext');
  assert.equal(csc.readOnlyRootFilesystem, true);
  assert.equal(csc.allowPrivilegeEscalation, false);
  assert.deepEqual(obj(csc.capabilities, 'capabilities').drop, ['ALL']);
  const res = obj(c.resources, 'resources');
  for (const k of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(obj(res[k], k)[r] !== undefined, `resources.${k}.${r}`);

  // Every mount names a volume; the key file and the model are where the args say; LENGUA_HOME is writable.
  const volumes = new Map((arr(pod.volumes, 'volumes') as Obj[]).map((v) => [String(v.name), v]));
  const mounts = arr(c.volumeMounts, 'volumeMounts') as Obj[];
  for (const mt of mounts) assert.ok(volumes.has(String(mt.name)), `volumeMount ${String(mt.name)} has no volume`);
  const mountAt = (path: string): Obj => mounts.find((mt) => path === mt.mountPath || path.startsWith(`${String(mt.mountPath)}/`))!;
  const keysMount = mountAt(KEYS_IN_CONTAINER);
  const keysVolume = obj(volumes.get(String(keysMount.name))!.secret, 'keys volume secret');
  const secret = m.get('Secret')!;
  assert.equal(keysVolume.secretName, obj(secret.metadata, 'metadata').name);
  // Mode 0440 with fsGroup 1000: readable by the server's group, not by others.
  assert.equal(keysVolume.defaultMode, 0o440);
  const item = obj(arr(keysVolume.items, 'items')[0], 'items[0]');
  assert.equal(join(String(keysMount.mountPath), String(item.path)), KEYS_IN_CONTAINER);
  const modelVolume = volumes.get(String(mountAt(MODEL_IN_CONTAINER).name))!;
  assert.equal(obj(modelVolume.persistentVolumeClaim, 'pvc').claimName, obj(m.get('PersistentVolumeClaim')!.metadata, 'metadata').name);
  const home = mountAt('/home/node/.lengua');
  assert.notEqual(home.readOnly, true);
  assert.ok(volumes.get(String(home.name))!.emptyDir !== undefined);
  // The placeholder key file is one the server accepts (and it holds no key).
  const keyFile = parseKeyFile(String(obj(secret.stringData, 'stringData')[String(item.key)]), 'deploy/k8s/secret.yaml');
  assert.equal(keyFile.keys.length, 0);
  const cm = obj(m.get('ConfigMap')!, 'ConfigMap');
  const envFrom = obj(arr(c.envFrom, 'envFrom')[0], 'envFrom[0]');
  assert.equal(obj(envFrom.configMapRef, 'configMapRef').name, obj(cm.metadata, 'metadata').name);
});

test('deploy/k8s Service, HPA and PDB point at the Deployment', () => {
  const m = k8s();
  const dep = m.get('Deployment')!;
  const depName = obj(dep.metadata, 'metadata').name;
  const podLabels = obj(obj(obj(obj(dep.spec, 'spec').template, 'template').metadata, 'metadata').labels, 'labels');
  const svc = obj(m.get('Service')!.spec, 'Service.spec');
  assert.deepEqual(svc.selector, podLabels);
  assert.equal(obj(arr(svc.ports, 'ports')[0], 'ports[0]').targetPort, 'http');
  const hpa = obj(m.get('HorizontalPodAutoscaler')!.spec, 'HPA.spec');
  assert.deepEqual(hpa.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: depName });
  assert.ok(Number(hpa.minReplicas) >= 1 && Number(hpa.maxReplicas) > Number(hpa.minReplicas));
  const metric = obj(arr(hpa.metrics, 'metrics')[0], 'metrics[0]');
  assert.equal(metric.type, 'Resource');
  assert.equal(obj(metric.resource, 'resource').name, 'cpu');
  const pdb = obj(m.get('PodDisruptionBudget')!.spec, 'PDB.spec');
  assert.deepEqual(obj(pdb.selector, 'selector').matchLabels, podLabels);
});

// ---- the image, built and run ----

const DOCKER = process.env.DOCKER ?? 'docker';
const dockerEnv = { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? '0' };

function docker(args: readonly string[], timeout = 60_000): SpawnSyncReturns<string> {
  return spawnSync(DOCKER, args, { encoding: 'utf8', env: dockerEnv, timeout, maxBuffer: 64 * 1024 * 1024 });
}

function dockerOk(args: readonly string[], timeout?: number): string {
  const r = docker(args, timeout);
  assert.equal(r.status, 0, `${DOCKER} ${args.join(' ')} failed (${String(r.status ?? r.signal)}):\n${r.stderr}${r.error?.message ?? ''}`);
  return r.stdout.trim();
}

function containerSkip(): string | false {
  if (process.env.LENGUA_TEST_CONTAINER !== '1') return 'builds and runs the image: set LENGUA_TEST_CONTAINER=1 (minutes on a cold cache; needs a Docker daemon)';
  if (skipWithoutGolden !== false) return skipWithoutGolden;
  const info = docker(['info'], 20_000);
  if (info.status !== 0) return `\`${DOCKER} info\` failed, no Docker daemon to use: ${(info.stderr || info.error?.message || '').trim().split('\n')[0] ?? ''}`;
  return false;
}
const skipContainer = containerSkip();

/**
 * The build context: the committed tree (git archive HEAD) with the working tree's Dockerfile and
 * .dockerignore, so that others' unfinished files in a shared checkout do not break the build.
 * LENGUA_CONTAINER_CONTEXT=worktree (or no git) builds the working tree as it is.
 */
function buildContext(dir: string): string {
  const git = spawnSync('git', ['-C', REPO, 'rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' });
  if (process.env.LENGUA_CONTAINER_CONTEXT === 'worktree' || git.status !== 0) return REPO;
  const archive = spawnSync('sh', ['-c', 'git -C "$1" archive HEAD package.json package-lock.json tsconfig.json tsconfig.build.json bin src | tar -x -C "$2"', 'sh', REPO, dir]);
  assert.equal(archive.status, 0, archive.stderr.toString());
  for (const f of ['Dockerfile', '.dockerignore']) cpSync(join(REPO, f), join(dir, f));
  return dir;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The status of a GET, 0 when the connection fails. Not fetch: while nothing listens in the container,
 * docker-proxy accepts and resets the connection, and Node 20's fetch then never settles (measured here).
 */
function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet(url, { timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
  });
}

let scratch: string | undefined;
const containers: string[] = [];
after(() => {
  for (const c of containers) docker(['rm', '-f', c]);
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

test('the image: builds, serves an exported model with a key file on uid 1000 without libtorch, exits 0 on SIGTERM', { skip: skipContainer, timeout: 20 * 60_000 }, async (t) => {
  scratch = mkdtempSync(join(tmpdir(), 'lengua-container-'));
  const image = process.env.LENGUA_TEST_IMAGE ?? 'lengua:container-test';
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, fn: () => T): T => {
    const t0 = Date.now();
    try {
      return fn();
    } finally {
      timings[name] = (Date.now() - t0) / 1000;
    }
  };

  const ctx = join(scratch, 'context');
  mkdirSync(ctx);
  const context = buildContext(ctx);
  timed('build_s', () => dockerOk(['build', '-q', '-t', image, context], 15 * 60_000));
  const size = Number(dockerOk(['image', 'inspect', '-f', '{{.Size}}', image]));
  const base = Number(dockerOk(['image', 'inspect', '-f', '{{.Size}}', 'node:20-bookworm-slim']));
  t.diagnostic(`image ${image}: ${(size / 1e6).toFixed(0)} MB, ${((size - base) / 1e6).toFixed(0)} MB over node:20-bookworm-slim`);
  // Production dependencies with one ONNX Runtime build and dist/: all platforms' builds or the dev
  // dependencies would add hundreds of MB.
  assert.ok(size - base < 250e6, `the layers over the base weigh ${(size - base) / 1e6} MB`);

  // Only what serving needs: no libtorch anywhere, no sources, tests or native/.
  const files = dockerOk(['run', '--rm', '--entrypoint', 'sh', image, '-c', "find / -xdev \\( -name 'libtorch*' -o -name 'libc10*' \\) -print; find /app/dist -name '*.test.js'; ls /app"]);
  assert.deepEqual(files.split('\n').sort(), ['bin', 'dist', 'node_modules', 'package-lock.json', 'package.json']);
  assert.match(dockerOk(['run', '--rm', '--entrypoint', 'lengua', image, '--help']), /serve \[options\]/);

  // A model exported here (libtorch on this side only) and a key file, both readable by uid 1000.
  const model = join(scratch, 'model');
  const exported = timed('export_s', () => runCli(['export', '--model', golden('fixtures', 'bert-synth-seqcls'), '--out', model]));
  assert.equal(exported.status, 0, exported.stderr);
  const keys = join(scratch, 'keys.json');
  const created = runCli(['keys', 'create', '--name', 'container-test', '--scope', 'predict', '--keys', keys, '--audit', join(scratch, 'audit.jsonl')]);
  assert.equal(created.status, 0, created.stderr);
  const key = created.stdout.trim();
  spawnSync('chmod', ['-R', 'a+rX', model]);
  chmodSync(keys, 0o644); // hashes only; the container's user must read it

  const name = `lengua-test-${process.pid}`;
  containers.push(name);
  const started = Date.now();
  dockerOk([
    'run', '-d', '--name', name, '-p', '127.0.0.1::8080',
    '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--health-interval', '1s', // the image's HEALTHCHECK, checked every second here
    '-v', `${model}:${MODEL_IN_CONTAINER}:ro`, '-v', `${keys}:${KEYS_IN_CONTAINER}:ro`,
    image, '--model', `model=${MODEL_IN_CONTAINER}`, '--keys', KEYS_IN_CONTAINER, '--threads', '1',
  ]);
  const hostPort = dockerOk(['port', name, '8080/tcp']).split('\n')[0]!;
  const url = `http://${hostPort}`;
  const logs = (): string => {
    const r = docker(['logs', name]);
    return `${r.stdout}${r.stderr}`;
  };

  // /ready once the model is loaded; the container must not exit meanwhile.
  for (;;) {
    const status = await probe(`${url}/ready`);
    if (status === 200) break;
    assert.equal(dockerOk(['inspect', '-f', '{{.State.Running}}', name]), 'true', `the container stopped:\n${logs()}`);
    assert.ok(Date.now() - started < 120_000, `not ready after 120 s:\n${logs()}`);
    await sleep(250);
  }
  timings.ready_s = (Date.now() - started) / 1000;
  assert.equal(await probe(`${url}/health`), 200);

  const TEXT = 'I love this';
  const predict = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${url}/models/model`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ inputs: TEXT, parameters: { top_k: 3 } }) });
  const refused = await predict({});
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
  const t0 = Date.now();
  const ok = await predict({ authorization: `Bearer ${key}` });
  timings.first_predict_s = (Date.now() - t0) / 1000;
  assert.equal(ok.status, 200);
  // The same scores as ONNX Runtime on this side, on the same exported file.
  const body = (await ok.json()) as Array<Array<{ label: string; score: number }>>;
  const local = runCli(['predict', '--model', model, '--engine', 'onnx', '--json', '--top-k', '3', TEXT]);
  assert.equal(local.status, 0, local.stderr);
  const expected = JSON.parse(local.stdout) as Array<Array<{ label: string; score: number }>>;
  assert.deepEqual(body[0]!.map((s) => s.label), expected[0]!.map((s) => s.label));
  assert.deepEqual(body[0]!.map((s) => s.label).sort(), ['negative', 'neutral', 'positive']);
  body[0]!.forEach((s, i) => assert.ok(Math.abs(s.score - expected[0]![i]!.score) < 1e-5, `${s.label}: ${s.score} here, ${expected[0]![i]!.score} on this side`));

  const metrics = await fetch(`${url}/metrics`);
  assert.equal(metrics.status, 200);
  const text = await metrics.text();
  assert.match(text, /^lengua_requests_total\{model="model",route="[^"]+",status="200"\} 1$/m);
  assert.match(text, /^lengua_model_info\{model="model",/m);

  // The server (PID 1, node running lengua serve) runs as uid 1000; the image's health check passes.
  const status = dockerOk(['exec', name, 'cat', '/proc/1/status']);
  assert.match(status, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
  assert.match(dockerOk(['exec', name, 'sh', '-c', "tr '\\0' ' ' < /proc/1/cmdline"]), /lengua serve/);
  for (const deadline = Date.now() + 30_000; dockerOk(['inspect', '-f', '{{.State.Health.Status}}', name]) !== 'healthy';) {
    assert.ok(Date.now() < deadline, `HEALTHCHECK never passed: ${dockerOk(['inspect', '-f', '{{json .State.Health}}', name])}`);
    await sleep(500);
  }

  // SIGTERM: the server closes and exits 0, well before docker would SIGKILL it.
  const t1 = Date.now();
  dockerOk(['kill', '--signal', 'SIGTERM', name]);
  assert.equal(dockerOk(['wait', name], 30_000), '0', logs());
  timings.sigterm_exit_s = (Date.now() - t1) / 1000;
  assert.ok(timings.sigterm_exit_s < 10, `exit took ${timings.sigterm_exit_s} s`);
  const output = logs();
  assert.match(output, /SIGTERM: finishing accepted requests/);
  // ONNX Runtime's telemetry client is off (it logs about itself when it starts).
  assert.doesNotMatch(output, /telemetry/i);
  t.diagnostic(`timings: ${JSON.stringify(timings)}`);
});
