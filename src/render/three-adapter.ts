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
