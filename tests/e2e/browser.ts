// Headless Debian chromium with WebGPU on SwiftShader (see HEADLESS-WEBGPU.md).
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_FLAGS = [
  '--no-sandbox', '--enable-unsafe-swiftshader', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
];
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];
/** Needed for screenshots of a WebGPU canvas (compositing through software Vulkan). */
const PIXEL_FLAGS = ['--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=vulkan'];

export function launch(opts: { webgpu?: boolean; pixels?: boolean } = {}): Promise<Browser> {
  const { webgpu = true, pixels = true } = opts;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : ['--disable-unsafe-webgpu']), ...(pixels ? PIXEL_FLAGS : [])],
  });
}
