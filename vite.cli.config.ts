// Bundles the `etascape` command into dist/cli.mjs (Node). `webgpu` and `@napi-rs/canvas`
// stay external: they hold native modules (Dawn, Skia).
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
      external: ['webgpu', '@napi-rs/canvas', 'playwright-core', /^node:/],
    },
  },
  ssr: { noExternal: true, external: ['webgpu', '@napi-rs/canvas', 'playwright-core'] },
});
