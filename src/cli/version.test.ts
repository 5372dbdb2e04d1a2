// `lengua --version` and `-V` print the version; a subcommand's own --version flag is its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './testing.js';

test('lengua --version and -V print the version; registry push --version 1.2.3 is the push flag', () => {
  for (const flag of ['--version', '-V']) {
    const r = runCli([flag]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  }
  const r = runCli(['registry', 'push', '/nonexistent/folder', '--name', 'x', '--version', '1.2.3']);
  assert.equal(r.status, 1);
  assert.doesNotMatch(r.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.match(r.stderr, /nonexistent/);
});
