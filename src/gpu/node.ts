// WebGPU in Node through Dawn (the `webgpu` package). On machines without a GPU,
// Dawn runs on SwiftShader, the software Vulkan driver Debian's chromium ships.

import { existsSync } from 'node:fs';
import { requestDevice, type DeviceHandle } from './device';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Dawn's instance must outlive every device made from it: if it is garbage-collected,
// the native side aborts (seen as std::system_error / pthread assertion failures).
let dawn: GPU | undefined;

/**
 * Opens a device. `software` (default: only when the environment names no driver)
 * points the Vulkan loader at SwiftShader.
 */
export async function nodeDevice(opts: { software?: boolean } = {}): Promise<DeviceHandle> {
  const software = opts.software ?? (process.env.ETASCAPE_GPU !== 'native' && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES);
  if (software && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  dawn ??= create([]) as unknown as GPU;
  try {
    return await requestDevice(dawn);
  } catch (e) {
    const hint = existsSync(SWIFTSHADER_ICD) ? '' : ` (no GPU driver found; on Debian: apt-get install -y chromium libvulkan1, for SwiftShader)`;
    throw new Error(`${(e as Error).message}${hint}`, { cause: e });
  }
}
