// Bundles bench/tfjs-peer.ts into dist/bench-tfjs.mjs, as vite.cli.config.ts bundles the
// command (the shaders are imported as raw text, which only a Vite build resolves).
// TensorFlow.js stays external: its Node builds load from node_modules at run time.
import { defineConfig } from 'vite';

const external = ['webgpu', '@napi-rs/canvas', /^@tensorflow\//];

export default defineConfig({
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'dist',
    emptyOutDir: false,
    minify: false,
    rollupOptions: {
      input: { 'bench-tfjs': 'bench/tfjs-peer.ts' },
      output: { format: 'es', entryFileNames: '[name].mjs' },
      external: [...external, /^node:/],
    },
  },
  ssr: { noExternal: true, external: ['webgpu', '@napi-rs/canvas', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'] },
});
