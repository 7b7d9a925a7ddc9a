// The compute-drawn particles and trails (shaders/splat.wgsl via src/render/splat.ts)
// against the float64 reference in tests/helpers/splat-reference.ts: the same pixels,
// the same colours, whoever is on top; keys reset between frames; deterministic.

import * as THREE from 'three';
import { describe, expect, test } from 'vitest';
import { uniform01 } from '../../src/core/random';
import { NO_MINIMUM, Status, setParticleInfo } from '../../src/core/particles';
import { PARTICLE_LIFT, type Mapping } from '../../src/display/mapping';
import { ParticleSplat } from '../../src/render/splat';
import { gpuDevice } from '../helpers/gpu';
import { splatReference, type SplatScene } from '../helpers/splat-reference';

const W = 192; // rows of 768 bytes: a multiple of 256 for copyTextureToBuffer
const H = 128;
const mapping: Mapping = { cx: 0, cy: 0, scale: 1, lossMin: 0, lossTop: 1, log: false, heightScale: 0.8 };

function camera(): THREE.PerspectiveCamera {
  const cam = new THREE.PerspectiveCamera(40, W / H, 0.01, 50);
  cam.position.set(0, 3.0, 1.2);
  cam.lookAt(0, 0.1, 0.1);
  cam.updateMatrixWorld();
  cam.updateProjectionMatrix();
  return cam;
}

function scene(seed: number, n: number, opts: Partial<SplatScene> = {}): SplatScene {
  let counter = 0;
  const rand = () => uniform01(seed, 0, counter++);
  const pos = new Float32Array(4 * n);
  const info = new Uint32Array(4 * n);
  const colors = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    // A third piled up near one point, as converged particles are.
    const pile = i % 3 === 0;
    pos.set([pile ? 0.3 + 0.05 * rand() : 2 * rand() - 1, pile ? -0.2 + 0.05 * rand() : 2 * rand() - 1, rand(), 0], 4 * i);
    const status = i % 11 === 0 ? Status.Converged : i % 13 === 0 ? Status.Diverged : i % 17 === 0 ? Status.NonFinite : Status.Running;
    setParticleInfo(info, i, status, 0, 0, NO_MINIMUM);
    colors.set([rand(), rand(), rand(), 1], 4 * i);
  }
  pos[4 * 5] = NaN; // not drawn
  pos[4 * 7 + 1] = Infinity; // not drawn
  pos[4 * 9 + 2] = Infinity; // drawn at the clipped height
  const background = new Uint8Array(4 * W * H);
  for (let k = 0; k < W * H; k++) background.set([(k % W) + 40, Math.floor(k / W) + 60, 90, 255], 4 * k);
  const cam = camera();
  const viewProj = new THREE.Matrix4().multiplyMatrices(cam.projectionMatrix, cam.matrixWorldInverse).elements;
  return {
    width: W,
    height: H,
    viewProj,
    projScale: (cam.projectionMatrix.elements[5] * H) / 2,
    mapping,
    size: 0.12,
    fade: 0.12,
    byStatus: false,
    highlight: null,
    pos,
    info,
    colors,
    trails: null,
    background,
    ...opts,
  };
}

function trails(seed: number, count: number, len: number, head: number, filled: number): NonNullable<SplatScene['trails']> {
  let counter = 0;
  const rand = () => uniform01(seed, 0, counter++);
  const ring = new Float32Array(4 * count * len);
  for (let k = 0; k < count * len; k++) ring.set([2 * rand() - 1, 2 * rand() - 1, rand(), 0], 4 * k);
  const colors = new Float32Array(4 * count);
  for (let k = 0; k < count; k++) colors.set([rand(), rand(), rand(), 1], 4 * k);
  return { ring, colors, count, len, head, filled };
}

async function setup(s: SplatScene) {
  const { device } = await gpuDevice();
  const buffer = (data: Float32Array | Uint32Array) => {
    const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(b, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    return b;
  };
  const pos = buffer(s.pos);
  const splat = new ParticleSplat(device, 'rgba8unorm', {
    n: s.info.length / 4,
    pos,
    info: buffer(s.info),
    colors: s.colors,
    trails: s.trails ? { ring: buffer(s.trails.ring), colors: s.trails.colors, count: s.trails.count, len: s.trails.len } : null,
  });
  splat.setMapping(s.mapping);
  splat.setSize(s.size);
  splat.setColorByStatus(s.byStatus);
  splat.setHighlight(s.highlight ? { binning: { div: s.highlight.div, mod: s.highlight.mod }, bin: s.highlight.bin } : null);
  if (s.trails) splat.updateTrails(s.trails.head, s.trails.filled);
  return { device, splat, pos };
}

function target(device: GPUDevice, background?: Uint8Array): GPUTexture {
  const t = device.createTexture({
    size: [W, H],
    format: 'rgba8unorm',
    usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_SRC | GPUTextureUsage.COPY_DST | GPUTextureUsage.TEXTURE_BINDING,
  });
  if (background) device.queue.writeTexture({ texture: t }, background as Uint8Array<ArrayBuffer>, { bytesPerRow: 4 * W }, [W, H]);
  return t;
}

async function read(device: GPUDevice, t: GPUTexture): Promise<Uint8Array> {
  const staging = device.createBuffer({ size: 4 * W * H, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyTextureToBuffer({ texture: t }, { buffer: staging, bytesPerRow: 4 * W }, [W, H]);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint8Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

/** Pixels differing by more than 2/255 in some channel, and pixels the reference changed. */
function compare(gpu: Uint8Array, ref: Uint8Array, background: Uint8Array): { differing: number; drawn: number } {
  let differing = 0;
  let drawn = 0;
  for (let k = 0; k < W * H; k++) {
    let d = 0;
    let changed = false;
    for (let c = 0; c < 3; c++) {
      d = Math.max(d, Math.abs(gpu[4 * k + c] - ref[4 * k + c]));
      changed ||= ref[4 * k + c] !== background[4 * k + c];
    }
    if (d > 2) differing++;
    if (changed) drawn++;
  }
  return { differing, drawn };
}

describe('particles drawn by compute (splat)', () => {
  test.each([
    ['coloured by lr, with trails', scene(1, 600, { trails: trails(2, 12, 6, 3, 6) })],
    ['coloured by status, one bin highlighted', scene(3, 600, { byStatus: true, highlight: { div: 1, mod: 4, bin: 1 } })],
    ['trails still filling, large discs', scene(4, 200, { size: 0.3, trails: trails(5, 20, 8, 1, 3) })],
  ])('%s: equals the float64 reference', async (_name, s) => {
    const { device, splat } = await setup(s);
    const t = target(device, s.background);
    splat.draw(t, camera(), true);
    const gpu = await read(device, t);
    const { differing, drawn } = compare(gpu, splatReference(s), s.background);
    expect(drawn).toBeGreaterThan(2000);
    // Float32 vs float64 at disc rims and line steps.
    expect(differing / drawn).toBeLessThan(0.01);
    splat.dispose();
  });

  test('a particle stands out: its colour inside, a dark rim around it, the background beyond (GPU = reference)', async () => {
    const background = new Uint8Array(4 * W * H).fill(200);
    const pos = new Float32Array([0, 0, 0.5, 0]);
    const info = new Uint32Array(4);
    setParticleInfo(info, 0, Status.Running, 0, 0, NO_MINIMUM);
    const s = scene(0, 1, { pos, info, colors: new Float32Array([1, 0.8, 0.2, 1]), background, size: 0.2 });
    const { device, splat } = await setup(s);
    const t = target(device, background);
    splat.draw(t, camera(), true);
    const gpu = await read(device, t);
    expect(compare(gpu, splatReference(s), background).differing).toBe(0);
    // Along the row through the disc's centre (its most particle-coloured pixels), leftwards from the centre.
    const isColour = (k: number) => gpu[4 * k] > 240 && gpu[4 * k + 1] > 190 && gpu[4 * k + 2] < 70;
    const inside: number[] = [];
    for (let k = 0; k < W * H; k++) if (isColour(k)) inside.push(k);
    expect(inside.length).toBeGreaterThan(20);
    const row = Math.round(inside.reduce((a, k) => a + Math.floor(k / W), 0) / inside.length);
    const xs = inside.filter((k) => Math.floor(k / W) === row).map((k) => k % W);
    const luma = (x: number) => (gpu[4 * (row * W + x)] + gpu[4 * (row * W + x) + 1] + gpu[4 * (row * W + x) + 2]) / 3;
    const edge = Math.min(...xs);
    // Within two pixels outside the coloured disc: a pixel much darker than both the particle and the surface under it.
    expect(Math.min(luma(edge - 1), luma(edge - 2))).toBeLessThan(0.45 * 200);
    // Then the untouched background.
    expect(luma(edge - 4)).toBe(200);
    splat.dispose();
  });

  test('log height: equals the float64 reference, which differs from linear height', async () => {
    // lossTop below most losses: the log curve and the height clip both come into play.
    const logMapping: Mapping = { ...mapping, lossTop: 0.4, log: true };
    const s = scene(12, 600, { mapping: logMapping, trails: trails(13, 12, 6, 3, 6) });
    const { device, splat } = await setup(s);
    const t = target(device, s.background);
    splat.draw(t, camera(), true);
    const gpu = await read(device, t);
    const ref = splatReference(s);
    const { differing, drawn } = compare(gpu, ref, s.background);
    expect(drawn).toBeGreaterThan(2000);
    expect(differing / drawn).toBeLessThan(0.01);
    // The case tests the log branch only if log height moves what is drawn.
    const linear = compare(gpu, splatReference({ ...s, mapping: { ...logMapping, log: false } }), s.background);
    expect(linear.differing / drawn).toBeGreaterThan(0.2);
    splat.dispose();
  });

  test('the labels layer goes over particles and trails, with its alpha', async () => {
    // An opaque band, a half-transparent band (premultiplied) and nothing elsewhere.
    const labels = new Uint8Array(4 * W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (y >= 40 && y < 52) labels.set([250, 20, 20, 255], 4 * (y * W + x));
        else if (y >= 70 && y < 84) labels.set([10, 60, 10, 128], 4 * (y * W + x));
      }
    }
    const s = scene(10, 800, { trails: trails(11, 12, 6, 3, 6), labels });
    const { device, splat } = await setup(s);
    splat.captureLabels(target(device, labels));
    const t = target(device, s.background);
    splat.draw(t, camera(), true);
    const gpu = await read(device, t);
    const ref = splatReference(s);
    const { differing, drawn } = compare(gpu, ref, s.background);
    expect(drawn).toBeGreaterThan(2000);
    expect(differing / drawn).toBeLessThan(0.01);
    // Where particles were drawn inside the opaque band, the label colour shows.
    const without = splatReference({ ...s, labels: undefined });
    let covered = 0;
    for (let y = 40; y < 52; y++) {
      for (let x = 0; x < W; x++) {
        const k = 4 * (y * W + x);
        if (without[k] !== s.background[k] || without[k + 1] !== s.background[k + 1]) {
          covered++;
          expect([gpu[k], gpu[k + 1], gpu[k + 2]]).toEqual([250, 20, 20]);
        }
      }
    }
    expect(covered).toBeGreaterThan(50);
    splat.dispose();
  });

  test('highlighted particles are drawn over the others, faded ones under', async () => {
    // Two particles at the same point: the later index is on top unless the earlier is highlighted.
    const s = scene(6, 2);
    s.pos.set([0, 0, 0.5, 0, 0, 0, 0.5, 0]);
    s.colors.set([1, 0, 0, 1, 0, 0, 1, 1]);
    const centre = async (opts: Partial<SplatScene>) => {
      const { device, splat } = await setup({ ...s, ...opts });
      const t = target(device, s.background);
      splat.draw(t, camera(), true);
      const px = await read(device, t);
      const c = splatReference({ ...s, ...opts });
      splat.dispose();
      // The pixel under the particles' centre.
      const clip = new THREE.Vector3(0, 0.5 * mapping.heightScale + PARTICLE_LIFT, 0).applyMatrix4(new THREE.Matrix4().fromArray(Array.from(s.viewProj)));
      const k = Math.floor((0.5 - clip.y * 0.5) * H) * W + Math.floor((clip.x * 0.5 + 0.5) * W);
      return { gpu: Array.from(px.subarray(4 * k, 4 * k + 3)), ref: Array.from(c.subarray(4 * k, 4 * k + 3)) };
    };
    const plain = await centre({});
    expect(plain.gpu).toEqual([0, 0, 255]);
    const lit = await centre({ highlight: { div: 1, mod: 2, bin: 0 } });
    expect(lit.gpu).toEqual(lit.ref);
    expect(lit.gpu[0]).toBeGreaterThan(200); // particle 0, whitened, over particle 1 (dimmed)
    setParticleInfo(s.info, 1, Status.Diverged, 0, 0, NO_MINIMUM); // particle 1 diverged: faded, under particle 0
    const faded = await centre({});
    expect(faded.gpu).toEqual(faded.ref);
    expect(faded.gpu).toEqual([255, 89, 89]); // particle 0 (converged: whitened) over the faded particle 1
  });

  test('a second frame after the particles moved: keys were reset, and the same input draws the same bytes', async () => {
    const s = scene(7, 500, { trails: trails(8, 10, 5, 2, 5) });
    const { device, splat, pos } = await setup(s);
    const first = target(device, s.background);
    splat.draw(first, camera(), true);
    const firstPixels = await read(device, first);
    // Move every particle; draw over the cached background (no fresh image).
    const moved = { ...s, pos: s.pos.map((v, k) => (k % 4 === 0 ? v * 0.7 + 0.1 : v)) };
    device.queue.writeBuffer(pos, 0, moved.pos.buffer as ArrayBuffer);
    const second = target(device);
    splat.draw(second, camera(), false);
    const secondPixels = await read(device, second);
    const { differing, drawn } = compare(secondPixels, splatReference(moved), s.background);
    expect(drawn).toBeGreaterThan(2000);
    expect(differing / drawn).toBeLessThan(0.01);
    const third = target(device);
    splat.draw(third, camera(), false);
    expect(Buffer.from(await read(device, third)).equals(Buffer.from(secondPixels))).toBe(true);
    expect(Buffer.from(firstPixels).equals(Buffer.from(secondPixels))).toBe(false);
    splat.dispose();
  });

  test('drawing without a surface image of the target size is refused with a reason', async () => {
    const s = scene(9, 10);
    const { device, splat } = await setup(s);
    expect(() => splat.draw(target(device), camera(), false)).toThrow(/no surface image of this size/);
    splat.dispose();
  });
});
