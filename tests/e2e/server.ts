// Serves the built app (dist/app, made by `npm run build:app`) on a free localhost port.
import { existsSync } from 'node:fs';
import { preview, type PreviewServer } from 'vite';

export async function serveApp(): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync('dist/app/index.html')) throw new Error('dist/app is missing: run `npm run build:app` first (npm test does)');
  const server: PreviewServer = await preview({ preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server has no address');
  return { url, close: () => server.close() };
}
