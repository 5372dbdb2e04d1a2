// Lint: recommended rules plus type-aware checks that catch real bugs (floating promises, misused awaits),
// and the direction of imports between the stages of src/ (see CONTRIBUTING.md, "Stages and imports").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// What each stage's library code may import, besides itself and the foundation (errors.ts, util/).
// Lower stages never import higher ones; tests and test helpers may use any stage.
const STAGES = {
  metrics: [],
  // The decoding search is pure TypeScript over an abstract model, so every engine can drive it; hub only to
  // read a folder's generation_config.json.
  generation: ['hub'],
  hub: [],
  torch: [],
  text: ['hub'],
  data: ['text'],
  models: ['torch', 'hub', 'text', 'generation'],
  train: ['models', 'data', 'metrics', 'text', 'hub', 'torch', 'generation'],
  eval: ['models', 'data', 'metrics', 'text', 'hub', 'torch', 'generation'],
  export: ['models', 'text', 'hub', 'torch'],
  // Serving runs on ONNX Runtime: no libtorch in the inference path.
  infer: ['text', 'hub', 'metrics', 'generation'],
  registry: ['hub', 'infer'],
  serve: ['infer', 'registry', 'text', 'hub', 'metrics', 'generation'],
  // The document assistant: retrieval and readers over infer's pipelines (no libtorch).
  assist: ['infer', 'text', 'hub', 'metrics'],
  cli: Object.keys({ metrics: 0, generation: 0, hub: 0, torch: 0, text: 0, data: 0, models: 0, train: 0, eval: 0, export: 0, infer: 0, registry: 0, serve: 0, assist: 0 }),
};
const boundaryZones = Object.entries(STAGES).map(([stage, allowed]) => ({
  target: `./src/${stage}`,
  from: ['./src/index.ts', './src/testing', ...Object.keys(STAGES).filter((s) => s !== stage && !allowed.includes(s)).map((s) => `./src/${s}`)],
  message: `src/${stage} may import only ${allowed.length ? allowed.join(', ') : 'nothing of the other stages'} (and errors.ts, util/).`,
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'bench/**/*.ts', 'docs/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/testing/**', 'src/**/testing/**', 'src/**/testing.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: boundaryZones }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // node:test's test()/describe() return promises the runner itself tracks.
    files: ['src/**/*.test.ts', 'docs/**/*.test.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
