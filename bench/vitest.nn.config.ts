// Runs only the network layout benchmark (not part of `npm test`):
//   npx vitest run --config bench/vitest.nn.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['bench/nn-layouts.bench.ts'], testTimeout: 1_800_000, fileParallelism: false } });
