// Runs only the expression compile-cost calibration (not part of `npm test`):
//   npm run bench:compile
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['bench/compile-cost.bench.ts'], testTimeout: 3_600_000, fileParallelism: false } });
