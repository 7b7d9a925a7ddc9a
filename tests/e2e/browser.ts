// Headless Debian chromium with WebGPU on SwiftShader (see HEADLESS-WEBGPU.md), with the
// flags the `etascape record` command uses (src/cli/browser.ts).
import { chromium, type Browser } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../src/cli/browser';

export function launch(opts: { webgpu?: boolean; pixels?: boolean } = {}): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: chromiumArgs(opts) });
}
