// The one place that reaches into three.js internals (pinned: three 0.187.0). It makes
// a storage attribute whose GPUBuffer the compute engine binds, so particles are drawn
// from the same memory the kernel writes: no readback, no copy.

import * as THREE from 'three/webgpu';

export interface SharedStorage<T extends Float32Array | Uint32Array> {
  attribute: THREE.StorageInstancedBufferAttribute;
  buffer: GPUBuffer;
  array: T;
}

export function sharedStorage<T extends Float32Array | Uint32Array>(renderer: THREE.WebGPURenderer, array: T, itemSize: number): SharedStorage<T> {
  const attribute = new THREE.StorageInstancedBufferAttribute(array, itemSize);
  const backend = (renderer as unknown as { backend: { createStorageAttribute(a: unknown): void; get(a: unknown): { buffer?: GPUBuffer } } }).backend;
  backend.createStorageAttribute(attribute);
  const buffer = backend.get(attribute).buffer;
  if (!buffer) throw new Error('three.js did not create a GPU buffer for the storage attribute (three version changed?)');
  return { attribute, buffer, array };
}

interface CanvasBackend {
  context: GPUCanvasContext;
  parameters: { alpha?: boolean };
  utils: { getPreferredCanvasFormat(): GPUTextureFormat };
}

const canvasBackend = (renderer: THREE.WebGPURenderer) => (renderer as unknown as { backend: CanvasBackend }).backend;

/** The format of the canvas three.js draws into. */
export function canvasFormat(renderer: THREE.WebGPURenderer): GPUTextureFormat {
  return canvasBackend(renderer).utils.getPreferredCanvasFormat();
}

/**
 * Re-configures the canvas three.js draws into so that compute passes can also write
 * it (storage) and copy into it. Call after renderer.init(), and only for a format the
 * device can store to (render/splat.ts splatFormatSupported).
 */
export function configureCanvasForCompute(renderer: THREE.WebGPURenderer, device: GPUDevice): void {
  const backend = canvasBackend(renderer);
  const format = canvasFormat(renderer);
  backend.context.configure({
    device,
    format,
    usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC | GPUTextureUsage.COPY_DST | GPUTextureUsage.STORAGE_BINDING,
    alphaMode: backend.parameters.alpha === false ? 'opaque' : 'premultiplied',
  });
}

/**
 * Re-applies configureCanvasForCompute if the canvas lost it: three.js forgets its
 * canvas context on every resize and configures it again with its own usage. Call
 * before drawing a frame.
 */
export function keepCanvasForCompute(renderer: THREE.WebGPURenderer, device: GPUDevice): void {
  const config = canvasBackend(renderer).context.getConfiguration();
  if (!config || (config.usage & GPUTextureUsage.STORAGE_BINDING) === 0) configureCanvasForCompute(renderer, device);
}

/** The canvas's texture for this frame (the one three.js renders into in this task). */
export function canvasTexture(renderer: THREE.WebGPURenderer): GPUTexture {
  return canvasBackend(renderer).context.getCurrentTexture();
}
