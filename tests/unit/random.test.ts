import { describe, expect, it } from 'vitest';
import { hash3, pcgHash, uniform01 } from '../../src/core/random';

const M = 1n << 32n;

/** The PCG-RXS-M-XS output permutation, written out in exact 32-bit arithmetic. */
function pcgRef(v: number): number {
  const state = (BigInt(v >>> 0) * 747796405n + 2891336453n) % M;
  const shift = (state >> 28n) + 4n;
  const word = (((state >> shift) ^ state) * 277803737n) % M;
  return Number((word >> 22n) ^ word);
}

function hash3Ref(seed: number, index: number, counter: number): number {
  const add = (a: number, b: number) => Number((BigInt(a) + BigInt(b >>> 0)) % M);
  return pcgRef(add(pcgRef(add(pcgRef(counter), index)), seed));
}

describe('pcgHash', () => {
  it('known values (computed from the PCG formula in exact integer arithmetic)', () => {
    // state = 747796405 v + 2891336453 (mod 2^32); word = ((state >> ((state >> 28) + 4)) ^ state) * 277803737;
    // out = (word >> 22) ^ word.
    expect(pcgHash(0)).toBe(129708002);
    expect(pcgHash(1)).toBe(2831084092);
    expect(pcgHash(2)).toBe(2055130248);
    expect(pcgHash(42)).toBe(1223963391);
    expect(pcgHash(123456789)).toBe(4272394698);
    expect(pcgHash(0xffffffff)).toBe(3861530882);
    for (const v of [0, 1, 2, 42, 123456789, 0xffffffff]) expect(pcgHash(v)).toBe(pcgRef(v));
  });

  it('the Math.imul version equals the BigInt reference over many inputs, including the high bit', () => {
    let k = 0x9e3779b9;
    const mismatches: number[] = [];
    for (let i = 0; i < 5000; i++) {
      k = (Math.imul(k, 1664525) + 1013904223) >>> 0;
      if (pcgHash(k) !== pcgRef(k)) mismatches.push(k);
    }
    expect(mismatches).toEqual([]);
    for (const v of [0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe]) expect(pcgHash(v)).toBe(pcgRef(v));
  });

  it('returns unsigned 32-bit integers and treats inputs modulo 2^32', () => {
    for (let v = 0; v < 1000; v++) {
      const h = pcgHash(v);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
    expect(pcgHash(-1)).toBe(pcgHash(0xffffffff));
    expect(pcgHash(2 ** 32 + 5)).toBe(pcgHash(5));
  });

  it('has no collisions on the first 100000 integers (it is a bijection)', () => {
    const seen = new Set<number>();
    for (let v = 0; v < 100000; v++) seen.add(pcgHash(v));
    expect(seen.size).toBe(100000);
  });
});

describe('hash3 and uniform01', () => {
  it('hash3 chains pcgHash as documented', () => {
    for (const [s, i, c] of [
      [0, 0, 0],
      [1, 2, 3],
      [0xffffffff, 0xffffffff, 0xffffffff],
      [12345, 678, 9],
    ]) {
      expect(hash3(s, i, c)).toBe(hash3Ref(s, i, c));
    }
  });

  it('uniform01 is in [0, 1), a multiple of 2^-24 (exact in float32)', () => {
    const bad: number[] = [];
    let max = 0;
    for (let i = 0; i < 100000; i++) {
      const u = uniform01(3, i, i % 7);
      if (!(u >= 0 && u < 1 && Number.isInteger(u * 2 ** 24) && Math.fround(u) === u)) bad.push(u);
      max = Math.max(max, u);
    }
    expect(bad).toEqual([]);
    expect(max).toBeGreaterThan(0.9999);
    expect(uniform01(5, 6, 7)).toBe((hash3(5, 6, 7) >>> 8) / 2 ** 24);
  });

  it('mean ~1/2 and variance ~1/12 over 1e5 draws; flat histogram', () => {
    const N = 100000;
    let sum = 0;
    let sum2 = 0;
    const bins = new Array(10).fill(0);
    for (let i = 0; i < N; i++) {
      const u = uniform01(2024, i, 0);
      sum += u;
      sum2 += u * u;
      bins[Math.floor(u * 10)]++;
    }
    const mean = sum / N;
    const variance = sum2 / N - mean * mean;
    // Standard error of the mean: sqrt(1/12 / N) ~ 0.0009.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
    // Chi-square with 9 degrees of freedom: 30 is far beyond p = 0.001 (27.9).
    const chi2 = bins.reduce((acc, b) => acc + (b - N / 10) ** 2 / (N / 10), 0);
    expect(chi2).toBeLessThan(30);
  });

  it('different index, counter or seed give different, uncorrelated streams', () => {
    const N = 20000;
    const streams = [
      (k: number) => uniform01(1, 0, k),
      (k: number) => uniform01(1, 1, k),
      (k: number) => uniform01(2, 0, k),
      (k: number) => uniform01(1, k, 0),
      (k: number) => uniform01(1, k, 1),
    ];
    const draws = streams.map((s) => Array.from({ length: N }, (_, k) => s(k)));
    for (let a = 0; a < draws.length; a++) {
      for (let b = a + 1; b < draws.length; b++) {
        let equal = 0;
        let cov = 0;
        for (let k = 0; k < N; k++) {
          if (draws[a][k] === draws[b][k]) equal++;
          cov += (draws[a][k] - 0.5) * (draws[b][k] - 0.5);
        }
        const corr = cov / N / (1 / 12);
        expect(equal, `streams ${a} and ${b}`).toBeLessThan(3);
        expect(Math.abs(corr), `streams ${a} and ${b}`).toBeLessThan(0.05);
      }
    }
    // Consecutive counters of one stream are not correlated either.
    let lag = 0;
    for (let k = 1; k < N; k++) lag += (draws[0][k] - 0.5) * (draws[0][k - 1] - 0.5);
    expect(Math.abs(lag / N / (1 / 12))).toBeLessThan(0.05);
  });

  it('is a pure function of its arguments', () => {
    expect(uniform01(9, 8, 7)).toBe(uniform01(9, 8, 7));
    expect(hash3(9, 8, 7)).toBe(hash3(9, 8, 7));
    expect(hash3(9, 8, 7)).not.toBe(hash3(9, 7, 8));
  });
});
