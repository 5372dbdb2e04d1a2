import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalize } from '../text/normalize.js';
import { MAX_LINE_LENGTH } from './normalize.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function lengua(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lengua.js'), 'normalize', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    input: input ?? '',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('lengua normalize: texts as arguments, one result per line (real process)', () => {
  const r = lengua(['--preset', 'tweet', '@Ana Holaaaa &amp; adiós https://t.co/x', '#BuenDía 😂']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '@user Holaa & adiós http\n#BuenDía 😂\n');
});

test('lengua normalize: one text per stdin line, CRLF and empty lines kept aligned, --json', () => {
  const input = 'Holaaaa @x\r\nÑandú 👍🏽\n\nlast line without newline';
  const args = ['--preset', 'bert-uncased', '--language', 'es', '--emoji', 'words', '--json'];
  const r = lengua(args, input);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { text: string; normalized: string });
  assert.deepEqual(rows, [
    { text: 'Holaaaa @x', normalized: 'holaaaa @x' },
    { text: 'Ñandú 👍🏽', normalized: 'ñandu :pulgar_hacia_arriba_tono_de_piel_medio:' },
    { text: '', normalized: '' },
    { text: 'last line without newline', normalized: 'last line without newline' },
  ]);
  // The CLI gives what the library gives for the same options.
  for (const row of rows) {
    assert.equal(row.normalized, normalize(row.text, { preset: 'bert-uncased', language: 'es', emoji: 'words' }));
  }
});

test('lengua normalize: flags switch single options on and off over the preset', () => {
  const text = '#BuenDía HOLAAAA   @Ana';
  const r = lengua(['--no-squeeze-repeats', '--hashtags', 'split', '--lowercase', '--mentions', 'keep', '--no-collapse-whitespace', text]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'buen día holaaaa   @ana\n');
  const none = lengua(['--preset', 'none', '--strip-accents', '--keep-enye'], 'Año canción\n');
  assert.equal(none.stdout, 'Año cancion\n');
});

test('lengua normalize: a bad choice and an over-long stdin line fail with a clear message', () => {
  const bad = lengua(['--emoji', 'delete', 'x']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--emoji <mode>.*'delete' is invalid.*keep, remove, words/);
  const long = lengua([], `ok\n${'a'.repeat(MAX_LINE_LENGTH + 1)}\n`);
  assert.equal(long.code, 1);
  assert.equal(long.stdout, 'ok\n');
  assert.match(long.stderr, new RegExp(`stdin:2: line longer than ${MAX_LINE_LENGTH} characters`));
});
