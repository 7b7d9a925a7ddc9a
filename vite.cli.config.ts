// Bundles the `etascape` command into dist/cli.mjs (Node). `webgpu` stays external:
// it holds Dawn's native module.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'dist',
    emptyOutDir: false,
    minify: false,
    sourcemap: true,
    rollupOptions: {
      input: { cli: process.env.ETASCAPE_ENTRY ?? 'src/cli/main.ts' },
      output: { format: 'es', entryFileNames: '[name].mjs' },
      external: ['webgpu', 'playwright-core', /^node:/],
    },
  },
  ssr: { noExternal: true, external: ['webgpu', 'playwright-core'] },
});
