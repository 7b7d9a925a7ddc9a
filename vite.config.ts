import { defineConfig } from 'vitest/config';

/** Node test files that must not share the machine with another test file. */
const SERIAL = ['tests/cli/limits.test.ts'];

export default defineConfig({
  server: { port: 5173, host: '127.0.0.1' },
  preview: { port: 4173, host: '127.0.0.1' },
  build: { target: 'es2022', outDir: 'dist/app', chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One worker keeps its imported modules from file to file: the 38 unit files took 101 s
    // isolated (58 s of it importing) and 34 s not. Files that keep module state reset it.
    isolate: false,
    projects: [
      {
        extends: true,
        // A GPU or CLI test file keeps about 1.5 of the 2 cores busy (SwiftShader's and
        // child processes' threads): two files at a time fill the gaps.
        test: {
          name: 'node',
          include: ['tests/unit/**/*.test.ts', 'tests/gpu/**/*.test.ts', 'tests/cli/**/*.test.ts'],
          // Alone, after: 10^5 small dispatches, slowed tenfold by a second GPU process.
          exclude: [...SERIAL],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        // The page tests run after, one at a time: each drives a browser that fills both cores.
        // Isolated as before: they import little (7 s in all), and sharing changed nothing to gain.
        test: { name: 'serial', include: ['tests/e2e/**/*.test.ts', ...SERIAL], maxWorkers: 1, isolate: true, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
