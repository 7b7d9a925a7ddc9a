// ESLint: typescript-eslint's recommended rules plus the architecture's layering, checked
// on resolved paths (import-x/no-restricted-paths): dependencies point one way,
//   cli, app -> render, views -> model -> display -> gpu -> shaders -> core
// (render and views may use gpu; display and model never touch the DOM or the GPU).
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The folders each layer may import from, besides itself and npm packages. */
const LAYERS = {
  'src/core': [],
  shaders: ['src/core'],
  'src/gpu': ['src/core', 'shaders'],
  'src/display': ['src/core'],
  'src/model': ['src/core', 'src/display'],
  'src/render': ['src/core', 'shaders', 'src/gpu', 'src/display', 'src/model'],
  'src/views': ['src/core', 'src/display', 'src/model'],
  'src/cli': ['src/core', 'shaders', 'src/gpu', 'src/display', 'src/model'],
  'src/app': ['src/core', 'shaders', 'src/gpu', 'src/display', 'src/model', 'src/render', 'src/views'],
};
const ALL = Object.keys(LAYERS);
const zones = Object.entries(LAYERS).map(([target, allowed]) => ({
  target: `./${target}`,
  from: ALL.filter((f) => f !== target && !allowed.includes(f)).map((f) => `./${f}`),
  message: `${target} may import only ${allowed.length ? allowed.join(', ') : 'itself'} (see eslint.config.js).`,
}));

/** Browser globals that DOM-free layers must not touch. */
const DOM_GLOBALS = ['window', 'document', 'HTMLElement', 'HTMLCanvasElement', 'localStorage', 'location', 'requestAnimationFrame'];
const noDom = DOM_GLOBALS.map((name) => ({ name, message: 'This layer is DOM-free: it runs in Node (CLI, tests) as well as the page.' }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'bench/results/', '.gpu/', '.gl/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/core/**', 'shaders/**', 'src/gpu/**', 'src/display/**', 'src/model/**'],
    rules: { 'no-restricted-globals': ['error', ...noDom] },
  },
);
