// Every GPU struct's layout against WGSL's alignment and size rules. The expected
// offsets below are written out by hand from the WGSL spec ("Memory layout"): this is
// the one place they are written, as a check on shaders/layout.ts.

import { describe, expect, it } from 'vitest';
import { array, struct, wgslConstants, type Fields, type Struct } from '../../shaders/layout';
import { COMMON_CONSTANTS, ParticleInfo, ParticlePos, WORKGROUP_SIZE } from '../../shaders/common';
import { StepParams } from '../../shaders/step';
import { HvpParams, NetParams } from '../../shaders/network';
import { ReduceParams } from '../../shaders/reduce';
import { MapParams } from '../../shaders/map';
import { HistoryParams, HistorySample } from '../../shaders/history';
import { TrailParams } from '../../src/gpu/trails';
import { SplatParams } from '../../src/render/splat';
import { summaryLayout } from '../../src/core/analysis/bins';
import {
  INFO_WORDS,
  NO_MINIMUM,
  Status,
  emptyInfo,
  eventStep,
  minimumIndex,
  particleMinimum,
  particleStatus,
  particleSteps,
  setParticleInfo,
} from '../../src/core/particles';

const offsetsOf = (s: Struct<Fields>) => Object.fromEntries(s.fields.map((f) => [f.name, f.offset]));

/** Byte offsets by hand (WGSL: every scalar 4 bytes, align 4; vec2 align 8; vec3, vec4, mat4x4 align 16). */
const EXPECTED: [Struct<Fields>, Record<string, number>, number][] = [
  [
    StepParams,
    {
      n: 0,
      steps: 4,
      groupsX: 8,
      seed: 12,
      gtol2: 16,
      ftol: 20,
      posBound: 24,
      lossBound: 28,
      clipNorm: 32,
      clipValue: 36,
      noiseScale: 40,
      samRho: 44,
      batch: 48,
      points: 52,
    },
    56,
  ],
  [
    ReduceParams,
    { n: 0, groupsX: 4, div: 8, modulo: 12, minima: 16, stride: 20, buckets: 24, offset: 28, zero: 32, statusAt: 36, minimaAt: 40, rangeAt: 44, bucketsAt: 48 },
    52,
  ],
  [MapParams, { n: 0, coloring: 4, steps: 8, groupsX: 12, floor: 16 }, 20],
  [NetParams, { n: 0, steps: 4, groupsX: 8, history: 12, divergeRatio: 16, convergeLoss: 20, seed: 24 }, 28],
  [HvpParams, { n: 0, groupsX: 4 }, 8],
  [ParticlePos, { x: 0, y: 4, loss: 8, prevLoss: 12 }, 16],
  [ParticleInfo, { status: 0, steps: 4, eventStep: 8, minimum: 12 }, 16],
  [HistoryParams, { count: 0, len: 4, head: 8 }, 12],
  [HistorySample, { x: 0, y: 4, loss: 8, sharpness: 12, lr: 16, step: 20, status: 24 }, 28],
  [TrailParams, { count: 0, len: 4, head: 8 }, 12],
  [
    SplatParams,
    {
      viewProj: 0,
      viewport: 64,
      pixelsPerUnit: 72,
      particleSize: 76,
      mapCenter: 80,
      mapScale: 88,
      heightScale: 92,
      lossMin: 96,
      lossTop: 100,
      logHeight: 104,
      stoppedOpacity: 108,
      colorByStatus: 112,
      highlight: 116,
      highlightDiv: 120,
      highlightMod: 124,
      highlightBin: 128,
      particleCount: 132,
      trailCount: 136,
      trailLen: 140,
      trailHead: 144,
      trailFilled: 148,
    },
    // Rounded up to the struct's alignment (16, from the matrix).
    160,
  ],
];

/** A value for every field: distinct, exact in float32, whole for u32. */
function sample(s: Struct<Fields>): Record<string, unknown> {
  let k = 1;
  const next = (t: string) => (t.startsWith('f32') || t.includes('<f32>') ? k++ * 0.25 - 3 : k++);
  return Object.fromEntries(
    s.fields.map((f) => {
      const t = f.type as string;
      const m = /^(?:vec(\d)|mat(\d)x(\d))</.exec(t);
      const count = m ? (m[1] ? Number(m[1]) : Number(m[2]) * Number(m[3])) : 1;
      const values = Array.from({ length: count }, () => next(t));
      return [f.name, m ? values : values[0]];
    }),
  );
}

describe('GPU struct layouts', () => {
  for (const [s, offsets, size] of EXPECTED) {
    it(`${s.name}: offsets and size follow WGSL's rules`, () => {
      expect(offsetsOf(s)).toEqual(offsets);
      expect(s.offsets).toEqual(offsets);
      expect(s.size).toBe(size);
    });

    it(`${s.name}: the WGSL declaration lists the fields in order`, () => {
      const body = s.wgsl
        .split('\n')
        .filter((l) => /^ {2}\w+: /.test(l))
        .map((l) => l.trim().split(':')[0]);
      expect(s.wgsl.startsWith(`struct ${s.name} {`)).toBe(true);
      expect(body).toEqual(Object.keys(offsets));
    });

    it(`${s.name}: writes each field at its offset and reads it back`, () => {
      const values = sample(s);
      const bytes = s.write(values as never);
      expect(bytes.byteLength).toBe(size);
      expect(s.read(bytes)).toEqual(values);
      const view = new DataView(bytes);
      for (const f of s.fields) {
        const v = values[f.name];
        const first = Array.isArray(v) ? v[0] : v;
        const t = f.type as string;
        const got = t === 'u32' ? view.getUint32(f.offset, true) : t.includes('u32') ? view.getUint32(f.offset, true) : view.getFloat32(f.offset, true);
        expect(got, f.name).toBe(first);
      }
    });
  }

  it('the splat matrix is column-major, its vec2s packed', () => {
    const values = sample(SplatParams) as Record<string, number[]>;
    const view = new DataView(SplatParams.write(values as never));
    values.viewProj.forEach((v, k) => expect(view.getFloat32(4 * k, true)).toBe(v));
    expect(view.getFloat32(68, true)).toBe(values.viewport[1]);
    expect(view.getFloat32(84, true)).toBe(values.mapCenter[1]);
  });
});

describe("the layout rules themselves (the WGSL spec's own example)", () => {
  // WGSL spec, "Structure Member Layout": struct A and struct B with their offsets.
  const A = struct('A', { u: 'f32', v: 'f32', w: 'vec2<f32>', x: 'f32' });
  const B = struct('B', { a: 'vec2<f32>', b: 'vec3<f32>', c: 'f32', d: 'f32', e: A, f: 'vec3<f32>', g: array(A, 3), h: 'i32' });

  it('A: align 8, size 24', () => {
    expect(offsetsOf(A)).toEqual({ u: 0, v: 4, w: 8, x: 16 });
    expect([A.align, A.size]).toEqual([8, 24]);
  });

  it('B: align 16, size 160, the array of A with stride 24', () => {
    expect(offsetsOf(B)).toEqual({ a: 0, b: 16, c: 28, d: 32, e: 40, f: 64, g: 80, h: 152 });
    expect([B.align, B.size]).toEqual([16, 160]);
  });

  it('matrices, arrays of vec3 and vec4<u32>', () => {
    const M = struct('M', { a: 'f32', m: 'mat3x3<f32>', v: array('vec3<f32>', 2), q: 'vec4<u32>', t: 'mat2x2<f32>', z: 'f32' });
    // mat3x3: align 16, size 48 (3 columns of 16); array<vec3, 2>: stride 16; mat2x2: align 8, size 16.
    expect(offsetsOf(M)).toEqual({ a: 0, m: 16, v: 64, q: 96, t: 112, z: 128 });
    expect(M.size).toBe(144);
    const values = {
      a: 1,
      m: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      v: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      q: [7, 8, 9, 10],
      t: [1, 2, 3, 4],
      z: 5,
    };
    const bytes = M.write(values);
    expect(M.read(bytes)).toEqual(values);
    // Column 1 of the 3x3 starts 16 bytes after column 0 (not 12).
    expect(new DataView(bytes).getFloat32(16 + 16, true)).toBe(4);
  });

  it('nested structs and arrays round-trip', () => {
    const values = {
      a: [1, 2],
      b: [3, 4, 5],
      c: 6,
      d: 7,
      e: { u: 8, v: 9, w: [10, 11], x: 12 },
      f: [13, 14, 15],
      g: [0, 1, 2].map((k) => ({ u: k, v: k + 0.5, w: [k, -k], x: 2 * k })),
      h: -3,
    };
    expect(B.read(B.write(values))).toEqual(values);
  });

  it('declares nested structs first', () => {
    expect(B.declarations).toBe(`${A.wgsl}\n\n${B.wgsl}`);
    expect(B.wgsl).toContain('  g: array<A, 3>,');
  });

  it('refuses a uniform that breaks the uniform constraints', () => {
    expect(() => struct('U', { a: 'f32', e: A }, { uniform: true })).toThrow(/offset 8, not a multiple of 16/);
    expect(() => struct('U', { g: array('f32', 4) }, { uniform: true })).toThrow(/stride 4/);
    expect(() => struct('U', { a: 'vec4<f32>', g: array('vec4<f32>', 4) }, { uniform: true })).not.toThrow();
  });

  it('refuses names WGSL cannot take', () => {
    expect(() => struct('S', { 'a-b': 'f32' })).toThrow(/not a WGSL field name/);
  });

  it('refuses missing fields and values a u32 cannot hold', () => {
    expect(() => HistoryParams.write({ count: 1, len: 2 } as never)).toThrow(/HistoryParams.head: expected a number/);
    expect(() => HistoryParams.write({ count: -1, len: 2, head: 0 })).toThrow(/HistoryParams.count: a u32/);
    expect(() => HistoryParams.write({ count: 1.5, len: 2, head: 0 })).toThrow(RangeError);
    expect(() => SplatParams.write({ ...(sample(SplatParams) as object), viewport: [1, 2, 3] } as never)).toThrow(/viewport: expected 2 numbers/);
    expect(() => HistoryParams.write({ count: 1, len: 2, head: 0 }, new ArrayBuffer(8))).toThrow(/needs 12 bytes/);
  });
});

describe('the reduction summary (one u32 array per bin)', () => {
  it('4 status counts, minima + 1 minimum counts, 2 range keys, then the buckets', () => {
    expect(summaryLayout({ minima: 2, buckets: 8 })).toEqual({ status: 0, minima: 4, range: 7, buckets: 9, stride: 17 });
    expect(summaryLayout({ minima: 0, buckets: 1 })).toEqual({ status: 0, minima: 4, range: 5, buckets: 7, stride: 8 });
  });
});

describe('WGSL constants printed from TypeScript', () => {
  it('status codes, NO_MINIMUM and the workgroup size', () => {
    const lines = COMMON_CONSTANTS.split('\n');
    for (const [name, code] of Object.entries(Status)) expect(lines).toContain(`const ${name.toUpperCase()}: u32 = ${code}u;`);
    expect(lines).toContain('const NO_MINIMUM: u32 = 0xffffffffu;');
    expect(lines).toContain(`const WORKGROUP_SIZE: u32 = ${WORKGROUP_SIZE}u;`);
  });

  it('f32 and i32 literals are exact; bad names and values are refused', () => {
    expect(wgslConstants({ A: 50, B: 1.6, C: -0.25 }, 'f32')).toBe('const A: f32 = 50.0f;\nconst B: f32 = 1.60000002f;\nconst C: f32 = (-0.25f);');
    expect(wgslConstants({ D: -7 }, 'i32')).toBe('const D: i32 = -7i;');
    expect(() => wgslConstants({ lower: 1 })).toThrow(/UPPER_CASE/);
    expect(() => wgslConstants({ E: 2 ** 32 })).toThrow(RangeError);
    expect(() => wgslConstants({ F: 0.5 })).toThrow(RangeError);
  });
});

describe('the per-particle record', () => {
  it('starts running, at step 0, in no minimum', () => {
    const info = emptyInfo(3);
    expect(info.length).toBe(3 * INFO_WORDS);
    for (let i = 0; i < 3; i++) {
      expect([particleStatus(info, i), particleSteps(info, i), eventStep(info, i), minimumIndex(info, i)]).toEqual([Status.Running, 0, 0, NO_MINIMUM]);
      expect(particleMinimum(info, i)).toBeNull();
    }
  });

  it('the accessors read and write the words of the WGSL struct ParticleInfo', () => {
    const info = emptyInfo(3);
    expect(ParticleInfo.size).toBe(4 * INFO_WORDS);
    ParticleInfo.write({ status: Status.Diverged, steps: 7, eventStep: 6, minimum: NO_MINIMUM }, new DataView(info.buffer), 2 * ParticleInfo.size);
    expect([particleStatus(info, 2), particleSteps(info, 2), eventStep(info, 2), minimumIndex(info, 2)]).toEqual([Status.Diverged, 7, 6, NO_MINIMUM]);
    setParticleInfo(info, 0, Status.Converged, 12, 11, 3);
    expect(ParticleInfo.read(info, 0)).toEqual({ status: Status.Converged, steps: 12, eventStep: 11, minimum: 3 });
  });

  it('the setter and the getters agree, and touch only their particle', () => {
    const info = emptyInfo(3);
    setParticleInfo(info, 1, Status.Converged, 40, 39, 2);
    expect([particleStatus(info, 1), particleSteps(info, 1), eventStep(info, 1), particleMinimum(info, 1)]).toEqual([Status.Converged, 40, 39, 2]);
    for (const i of [0, 2]) expect([particleStatus(info, i), particleSteps(info, i), minimumIndex(info, i)]).toEqual([Status.Running, 0, NO_MINIMUM]);
  });
});
