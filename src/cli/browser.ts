// The built app (dist/app) in the system's headless Chromium, for commands that need the
// page (record): a static server on a free localhost port (a secure context, which
// WebGPU needs) and Chromium with WebGPU on SwiftShader (see HEADLESS-WEBGPU.md).

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { UsageError } from './args';
import { commitOutputs, OutputFile } from './output';

/** dist/app beside dist/cli.mjs (the bundle) or under the working directory. */
export function appDir(): string {
  const candidates = [fileURLToPath(new URL('./app', import.meta.url)), resolve('dist/app')];
  const dir = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!dir) throw new Error('the built app is missing (dist/app/index.html): run `npm run build:app` first');
  return dir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Serves `dir` read-only on 127.0.0.1; paths outside it are 404. */
export async function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(404).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', () => ok()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(() => ok())) };
}

export const chromiumPath = (): string => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];
/** Compositing through software Vulkan, so a WebGPU canvas can be read back (screenshots, drawImage into video frames). */
const PIXEL_FLAGS = ['--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=vulkan'];

/** Chromium's flags for the page: WebGPU on SwiftShader (or none), readable pixels; the tests and benchmarks use the same. */
export function chromiumArgs(opts: { webgpu?: boolean; pixels?: boolean } = {}): string[] {
  const { webgpu = true, pixels = true } = opts;
  return [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : ['--disable-unsafe-webgpu']), ...(pixels ? PIXEL_FLAGS : [])];
}

export async function launchChromium(opts: { webgpu?: boolean; pixels?: boolean } = {}): Promise<Browser> {
  const path = chromiumPath();
  if (!existsSync(path)) {
    throw new UsageError(`no Chromium at ${path}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new UsageError('this command drives Chromium with playwright-core, which is not installed (npm install playwright-core)');
  }
  return chromium.launch({ executablePath: path, headless: true, args: chromiumArgs(opts) });
}

/**
 * Saves the Blob the page holds in `window[name]` to `path`, through a download: written
 * under a temporary name and renamed into place when whole.
 */
export async function saveBlob(page: Page, name: string, path: string): Promise<void> {
  const file = new OutputFile(path);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.evaluate((key) => {
      const a = document.createElement('a');
      a.href = URL.createObjectURL((window as unknown as Record<string, Blob>)[key]);
      a.download = 'video';
      a.click();
    }, name),
  ]);
  await download.saveAs(file.tmp);
  commitOutputs(file);
}
