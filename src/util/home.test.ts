import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { lenguaHome } from './home.js';

test('LENGUA_HOME defaults to ~/.lengua, expands ~ and resolves relative paths', () => {
  assert.equal(lenguaHome({}), join(homedir(), '.lengua'));
  assert.equal(lenguaHome({ LENGUA_HOME: '' }), join(homedir(), '.lengua'));
  assert.equal(lenguaHome({ LENGUA_HOME: '~/x' }), join(homedir(), 'x'));
  assert.equal(lenguaHome({ LENGUA_HOME: 'rel/h' }), resolve('rel/h'));
});
