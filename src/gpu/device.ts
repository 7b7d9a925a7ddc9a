// Getting a GPUDevice with the limits large particle counts need. No DOM, no Node:
// the caller passes navigator.gpu (browser) or Dawn's GPU object (src/gpu/node.ts).

export interface DeviceHandle {
  device: GPUDevice;
  adapterName: string;
  /** A software adapter (SwiftShader, llvmpipe, a fallback adapter): the page draws cheaply there. */
  software: boolean;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupsPerDimension: number };
}

/** Where a run of its own (a map, a bifurcation diagram) steps its particles: a GPU device, or the CPU reference. */
export type RunBackend = { kind: 'gpu'; handle: DeviceHandle } | { kind: 'cpu' };

/** The GPU when there is one, else the CPU reference. */
export function runBackend(handle: DeviceHandle | null | undefined): RunBackend {
  return handle ? { kind: 'gpu', handle } : { kind: 'cpu' };
}

class NoWebGPUError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoWebGPUError';
  }
}

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length ? parts.join(' / ') : 'unknown adapter';
}

function isSoftware(adapter: GPUAdapter): boolean {
  const info = adapter.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return !!(info?.isFallbackAdapter || legacy) || /swiftshader|llvmpipe|lavapipe|software/i.test(describeAdapter(info));
}

export async function requestDevice(gpu: GPU | undefined): Promise<DeviceHandle> {
  if (!gpu) throw new NoWebGPUError('WebGPU is not available here (no navigator.gpu)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new NoWebGPUError('WebGPU found no adapter (no GPU driver, or WebGPU disabled)');
  const l = adapter.limits;
  // Optional: a compute pass drawing into a bgra8unorm canvas (render/splat.ts), GPU timing for the benchmark.
  const wanted: GPUFeatureName[] = ['bgra8unorm-storage', 'timestamp-query'];
  const device = await adapter.requestDevice({
    requiredFeatures: wanted.filter((f) => adapter.features.has(f)),
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });
  return {
    device,
    adapterName: describeAdapter(adapter.info),
    software: isSoftware(adapter),
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    },
  };
}
