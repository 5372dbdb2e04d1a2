/**
 * Runs every snippet of the Spanish guide (docs/guia), in the order of its sections, in ONE working folder set up
 * like a checkout of Lengua — so what section 3 trains is what section 5 evaluates, as a reader experiences it.
 *
 * The folder holds links to the checkout's bin/, examples/, src/ and node_modules/, and models/lengua-bert-mini
 * (the committed model; without it, a tiny stand-in pretrained here with the same architecture). Its package.json
 * names the package `lengua` with exports pointing at src/index.ts: in a checkout `import … from 'lengua'` is
 * the package importing itself, which resolves to dist/ after `npm run build`; here it resolves to the sources
 * the build compiles, so the test needs no build. The snippet text is run exactly as written.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, parse } from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { REPO, failureMessage, missingOutputLines, parseBlocks, repoRelative, runBlock, type Block, type BlockResult } from './snippets.js';

const GUIDE = import.meta.dirname;
/** The sections, in the course's order; the index (README.md) comes first. */
const SECTIONS = [
  'README.md',
  '01-preprocesamiento.md',
  '02-modelos-preentrenados.md',
  '03-ajuste-fino.md',
  '04-ejemplo-tweets.md',
  '05-evaluacion.md',
  '06-despliegue.md',
  '07-casos-de-estudio.md',
];
/** One block may take this long (the fine-tuning takes a few seconds on 2 cores). */
const BLOCK_TIMEOUT_MS = 180_000;
const MODEL = 'models/lengua-bert-mini';

/**
 * The package as the blocks import it: `lengua`, resolved by self-reference to the sources (a checkout's
 * package.json points at dist/, which `npm run build` compiles from the same sources).
 */
const PACKAGE_JSON = JSON.stringify({ name: 'lengua', private: true, type: 'module', exports: { '.': './src/index.ts' } }, null, 2);

/** Every block of the guide, sections in order. */
function guideBlocks(): Block[] {
  return SECTIONS.flatMap((s) => parseBlocks(repoRelative(join(GUIDE, s)), readFileSync(join(GUIDE, s), 'utf8')));
}

/** A working folder laid out like the checkout's root, with the guide's model in place. */
function workingFolder(): { dir: string; env: NodeJS.ProcessEnv; model: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-guia-'));
  for (const name of ['bin', 'examples', 'src', 'node_modules']) symlinkSync(join(REPO, name), join(dir, name));
  writeFileSync(join(dir, 'package.json'), PACKAGE_JSON);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Registry, keys and caches stay inside the folder, never in the user's ~/.lengua or ~/.cache.
    LENGUA_HOME: join(dir, '.lengua-home'),
    HF_HOME: join(dir, '.hf'),
    HF_HUB_OFFLINE: '1',
    LENGUA_NUM_THREADS: '2',
    OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
  };
  mkdirSync(join(dir, 'models'));
  const committed = join(REPO, MODEL);
  let model: string;
  if (existsSync(join(committed, 'config.json'))) {
    model = committed;
  } else {
    // The committed model's architecture (BERT, 4 layers × 128, lower-cased WordPiece), pretrained for a few steps
    // on the sample tweets: the guide's commands only need a BertForMaskedLM folder of that shape.
    model = join(dir, '.stand-in');
    const r = spawnSync(process.execPath, [join(REPO, 'bin/lengua.js'), 'pretrain', '--model-type', 'bert',
      '--train', join(REPO, 'examples/data/tweets-sample.csv'), '--text-column', 'text', '--out', model, '--vocab-size', '2000',
      '--config-overrides', 'hidden_size=128,num_hidden_layers=4,num_attention_heads=2,intermediate_size=512,max_position_embeddings=64',
      '--max-length', '64', '--max-steps', '4', '--threads', '2'], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(r.status, 0, `building the stand-in model failed:\n${r.stderr}`);
  }
  symlinkSync(model, join(dir, MODEL));
  return { dir, env, model };
}

test('every block of the guide has a language, and the index links every section', () => {
  const files = readdirSync(GUIDE).filter((f) => f.endsWith('.md')).sort();
  assert.deepEqual(files, [...SECTIONS].sort(), 'docs/guia holds exactly the listed sections');
  const index = readFileSync(join(GUIDE, 'README.md'), 'utf8');
  for (const s of SECTIONS.slice(1)) assert.ok(index.includes(`(${s})`), `README.md links ${s}`);
  for (const s of SECTIONS) {
    const blocks = parseBlocks(repoRelative(join(GUIDE, s)), readFileSync(join(GUIDE, s), 'utf8'));
    if (s !== 'README.md') assert.ok(blocks.some((b) => b.lang !== 'text' && b.noRun === undefined), `${s} has a block that runs`);
  }
});

test('the parser refuses a block without a language, an unknown one, a bare no-run and an unclosed fence', () => {
  assert.throws(() => parseBlocks('x.md', 'a\n```\nls\n```\n'), /x\.md:2: a code block without a language/);
  assert.throws(() => parseBlocks('x.md', '```sh\nls\n```\n'), /x\.md:1: unknown block language "sh"/);
  assert.throws(() => parseBlocks('x.md', '```bash no-run\nls\n```\n'), /x\.md:1: .*no-run: REASON/);
  assert.throws(() => parseBlocks('x.md', '```text no-run: x\nls\n```\n'), /x\.md:1: /);
  assert.throws(() => parseBlocks('x.md', '\n\n```bash\nls\n'), /x\.md:3: this code block is never closed/);
  const [b] = parseBlocks('x.md', 'uno\n```bash no-run: tarda una hora\nnpm run build:model\n```\n');
  assert.deepEqual(b, { file: 'x.md', line: 2, lang: 'bash', noRun: 'tarda una hora', expectedOutput: false, code: 'npm run build:model\n' });
  const shown = parseBlocks('x.md', '```bash\necho hola\n```\n\n```text salida\nhola\n```\n');
  assert.deepEqual(shown.map((x) => [x.line, x.lang, x.expectedOutput]), [[1, 'bash', false], [5, 'text', true]]);
  assert.throws(() => parseBlocks('x.md', '```bash\necho hola\n```\nY luego:\n```text salida\nhola\n```\n'), /x\.md:5: a "text salida" block must follow/);
  assert.throws(() => parseBlocks('x.md', '```text salida\nhola\n```\n'), /x\.md:1: a "text salida" block must follow/);
});

/** tsc over every ts block, with the project's strict options: tsx runs code without checking its types. */
async function typecheckBlocks(): Promise<void> {
  const blocks = guideBlocks().filter((b) => b.lang === 'ts');
  assert.ok(blocks.length > 0);
  const dir = mkdtempSync(join(tmpdir(), 'lengua-guia-tsc-'));
  try {
    for (const name of ['src', 'node_modules']) symlinkSync(join(REPO, name), join(dir, name));
    writeFileSync(join(dir, 'package.json'), PACKAGE_JSON);
    const byFile = new Map<string, Block>();
    blocks.forEach((b, i) => {
      const name = `bloque-${i}.ts`;
      byFile.set(name, b);
      writeFileSync(join(dir, name), b.code);
    });
    // The project's compiler options (strict, NodeNext, noUncheckedIndexedAccess); rootDir widened to take the blocks.
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: join(REPO, 'tsconfig.json'),
      compilerOptions: { rootDir: parse(REPO).root, noEmit: true },
      include: ['./bloque-*.ts'],
    }));
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
        done({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
    // tsc names bloque-N.ts(line,col); the reader needs the guide's file and line.
    const out = r.stdout.replace(/^(bloque-\d+\.ts)\((\d+),(\d+)\)/gm, (m: string, f: string, l: string, c: string) => {
      const b = byFile.get(f);
      return b ? `${b.file}:${b.line + Number(l)}:${c}` : m;
    });
    assert.equal(r.status, 0, `the ts blocks do not typecheck:\n${out}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every bash and ts block, in order, in one working folder; after a failure the rest are skipped (they depend on it). */
async function runGuide(t: TestContext): Promise<void> {
  const blocks = guideBlocks();
  const { dir, env, model } = workingFolder();
  t.diagnostic(`working folder ${dir}; ${MODEL} → ${model === join(REPO, MODEL) ? 'the committed model' : 'a stand-in pretrained for this test'}`);
  let ran = 0;
  let skipped = 0;
  let shown = 0;
  let compared = 0;
  let failed: string | undefined;
  let last: BlockResult | undefined;
  const t0 = Date.now();
  try {
    for (const b of blocks) {
      const name = `${b.file}:${b.line} ${b.lang}`;
      if (b.lang === 'text' && !b.expectedOutput) {
        shown++;
        continue;
      }
      if (b.lang === 'text') {
        // parseBlocks put it right after a block that runs: `last` is that block's result unless it failed.
        const printed = last;
        if (failed !== undefined || printed === undefined) continue;
        await t.test(`${name} (salida)`, () => {
          const missing = missingOutputLines(b, printed);
          if (missing.length > 0) {
            failed = `${b.file}:${b.line}`;
            assert.fail(`${b.file}:${b.line}: the block above did not print these lines of its shown output:\n${missing.join('\n')}\n--- it printed ---\n${printed.stdout}${printed.stderr}`);
          }
          compared++;
        });
        continue;
      }
      if (b.noRun !== undefined) {
        skipped++;
        await t.test(name, { skip: `no-run: ${b.noRun}` }, () => {});
        continue;
      }
      if (failed !== undefined) {
        await t.test(name, { skip: `an earlier block failed (${failed}); this one depends on it` }, () => {});
        continue;
      }
      await t.test(name, async () => {
        const r = await runBlock(b, dir, env, BLOCK_TIMEOUT_MS);
        last = r;
        if (r.code !== 0) {
          failed = `${b.file}:${b.line}`;
          assert.fail(failureMessage(b, r));
        }
        ran++;
        t.diagnostic(`${name}: ${(r.ms / 1000).toFixed(1)} s`);
      });
    }
  } finally {
    t.diagnostic(`ran ${ran} blocks, skipped ${skipped} (no-run), compared ${compared} shown outputs with what was printed, ` +
      `${shown} output blocks only shown; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (failed === undefined) rmSync(dir, { recursive: true, force: true });
    else t.diagnostic(`kept ${dir} to look at`);
  }
  assert.equal(failed, undefined, `the block at ${failed} failed`);
  assert.ok(ran >= SECTIONS.length - 1, `ran ${ran} blocks, at least one per section`);
}

// The typecheck (one tsc process) runs beside the blocks, which mostly wait on one CLI start at a time.
test('the guide', { concurrency: true, timeout: 900_000 }, async (t) => {
  await Promise.all([
    t.test('every ts block typechecks with the project\'s strict settings, importing \'lengua\' as the run does', typecheckBlocks),
    t.test('every bash and ts block runs, in order, in one working folder', runGuide),
  ]);
});

test('a broken snippet fails, naming its file and line and showing its stderr', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lengua-guia-broken-'));
  try {
    symlinkSync(join(REPO, 'bin'), join(dir, 'bin'));
    symlinkSync(join(REPO, 'examples'), join(dir, 'examples'));
    const doc = 'Texto.\n\n```bash\nnode bin/lengua.js data split examples/data/tweets-sample.csv --out datos --vall 0.1\n```\n';
    const [b] = parseBlocks('docs/guia/roto.md', doc);
    assert.ok(b);
    const r = await runBlock(b, dir, process.env, 60_000);
    assert.notEqual(r.code, 0);
    const msg = failureMessage(b, r);
    assert.match(msg, /^docs\/guia\/roto\.md:3: this bash block exited with code 1/);
    assert.match(msg, /unknown option '--vall'/);
    assert.ok(!existsSync(join(dir, 'datos')), 'nothing was split');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
