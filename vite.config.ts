import { defineConfig } from 'vitest/config';

export default defineConfig({
  server: { port: 5173, host: '127.0.0.1' },
  preview: { port: 4173, host: '127.0.0.1' },
  build: { target: 'es2022', outDir: 'dist/app', chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/gpu/**/*.test.ts', 'tests/cli/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // SwiftShader already uses both cores: GPU test files run one at a time.
    fileParallelism: false,
    // One worker keeps its imported modules from file to file: the 38 unit files took 101 s
    // isolated (58 s of it importing) and 34 s not. Files that keep module state reset it.
    isolate: false,
  },
});
