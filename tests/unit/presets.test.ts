import { describe, expect, it } from 'vitest';
import { ExpressionError } from '../../src/core/expr/parse';
import { isPresetName, PRESET_NAMES, PRESETS, resolveSurface, Surface, symmetricEigenvalues, type Minimum } from '../../src/core/surfaces';

function byName(s: Surface, name: string): Minimum {
  const m = s.minima.find((q) => q.name === name);
  if (!m) throw new Error(`${s.id} has no minimum '${name}' (has ${s.minima.map((q) => q.name).join(', ')})`);
  return m;
}

describe('preset minima against the literature', () => {
  it('Rosenbrock: (1, 1), loss 0, eigenvalues 0.39936 and 1001.6', () => {
    const s = resolveSurface('rosenbrock');
    expect(s.minima).toHaveLength(1);
    const [m] = s.minima;
    expect(m.x).toBeCloseTo(1, 10);
    expect(m.y).toBeCloseTo(1, 10);
    expect(m.loss).toBeCloseTo(0, 12);
    // Hessian [[802, -400], [-400, 200]]: eigenvalues 501 -+ sqrt(301^2 + 400^2).
    expect(m.eigenvalues[0]).toBeCloseTo(501 - Math.hypot(301, 400), 9);
    expect(m.eigenvalues[0]).toBeCloseTo(0.39936, 5);
    expect(m.eigenvalues[1]).toBeCloseTo(1001.6006, 4);
    expect(m.lrLimit).toBeCloseTo(2 / m.eigenvalues[1], 12);
    expect(m.label).toBe('global');
  });

  it('Himmelblau: four minima with loss 0 at the known points', () => {
    const s = resolveSurface('himmelblau');
    const known = [
      [3, 2],
      [-2.805118, 3.131312],
      [-3.77931, -3.283186],
      [3.584428, -1.848126],
    ];
    expect(s.minima).toHaveLength(4);
    for (const [x, y] of known) {
      const m = s.minima.find((q) => Math.hypot(q.x - x, q.y - y) < 1e-5);
      expect(m, `minimum near (${x}, ${y})`).toBeDefined();
      expect(m!.loss).toBeLessThan(1e-20);
      expect(m!.eigenvalues[0]).toBeGreaterThan(0);
    }
    expect(s.minima[0].x).toBe(3);
    expect(s.minima[0].y).toBe(2);
  });

  it('Beale: (3, 0.5), loss 0', () => {
    const [m] = resolveSurface('beale').minima;
    expect(m.x).toBeCloseTo(3, 10);
    expect(m.y).toBeCloseTo(0.5, 10);
    expect(m.loss).toBeCloseTo(0, 15);
  });

  it('Six-hump camel: global -1.0316 at (±0.0898, ∓0.7126), and the other four', () => {
    const s = resolveSurface('six-hump-camel');
    const globals = s.minima.filter((m) => m.label === 'global');
    expect(globals).toHaveLength(2);
    for (const m of globals) {
      expect(m.loss).toBeCloseTo(-1.0316284535, 9);
      expect(Math.abs(m.x)).toBeCloseTo(0.0898420131, 8);
      expect(Math.abs(m.y)).toBeCloseTo(0.712656403, 8);
      expect(Math.sign(m.x)).toBe(-Math.sign(m.y));
    }
    const locals = s.minima.filter((m) => m.label === 'local');
    expect(locals).toHaveLength(4);
    for (const m of locals) expect(m.loss).toBeGreaterThan(-1.0316);
    // (±1.7036, ∓0.7961) at -0.21546; (±1.6071, ±0.5687) at 2.10425.
    expect(locals.map((m) => Math.round(m.loss * 1e4) / 1e4).sort()).toEqual([-0.2155, -0.2155, 2.1043, 2.1043]);
  });

  it('Styblinski-Tang: global at (-2.903534, -2.903534), loss -78.33233', () => {
    const s = resolveSurface('styblinski-tang');
    const m = s.minima[0];
    expect(m.label).toBe('global');
    expect(m.x).toBeCloseTo(-2.903534, 6);
    expect(m.y).toBeCloseTo(-2.903534, 6);
    expect(m.loss).toBeCloseTo(-78.33233, 5);
    for (const other of s.minima.slice(1)) expect(other.loss).toBeGreaterThan(m.loss + 10);
    // Curvature 0.5*(12 x^2 - 32) in each direction.
    expect(m.eigenvalues[0]).toBeCloseTo(0.5 * (12 * m.x * m.x - 32), 8);
  });

  it('Goldstein-Price: global (0, -1) loss 3; locals 30, 84, 840', () => {
    const s = resolveSurface('goldstein-price');
    const g = s.minima[0];
    expect(g.x).toBeCloseTo(0, 10);
    expect(g.y).toBeCloseTo(-1, 10);
    expect(g.loss).toBeCloseTo(3, 10);
    expect(s.minima.slice(1).map((m) => m.loss)).toEqual([expect.closeTo(30, 8), expect.closeTo(84, 8), expect.closeTo(840, 7)]);
  });

  it('Rastrigin: both eigenvalues 2 + 40 pi^2 at the origin', () => {
    const [m] = resolveSurface('rastrigin').minima;
    expect(m.loss).toBe(0);
    expect(m.eigenvalues[0]).toBeCloseTo(2 + 40 * Math.PI ** 2, 9);
    expect(m.eigenvalues[1]).toBeCloseTo(2 + 40 * Math.PI ** 2, 9);
  });

  it('Ackley: the cone tip is non-smooth, so no curvature is reported', () => {
    const [m] = resolveSurface('ackley').minima;
    expect(m.x).toBe(0);
    expect(m.y).toBe(0);
    expect(m.loss).toBeCloseTo(0, 5);
    expect(m.eigenvalues[0]).toBeNaN();
    expect(m.eigenvalues[1]).toBeNaN();
    const { gx, gy } = resolveSurface('ackley').evaluate(0, 0);
    expect([gx, gy]).toEqual([0, 0]);
  });

  it('quadratic lambda1=2, lambda2=50, angle=30: eigenvalues [2, 50], lrLimit 2/50, eigenvectors rotated', () => {
    const s = resolveSurface('quadratic', { lambda1: 2, lambda2: 50, angle: 30 });
    const [m] = s.minima;
    expect(m.x).toBeCloseTo(0, 12);
    expect(m.y).toBeCloseTo(0, 12);
    expect(m.eigenvalues[0]).toBeCloseTo(2, 9);
    expect(m.eigenvalues[1]).toBeCloseTo(50, 9);
    expect(m.lrLimit).toBeCloseTo(2 / 50, 12);
    // The loss along the rotated axes: u = (cos 30, sin 30) has curvature 2, v curvature 50.
    const a = Math.PI / 6;
    const along = (dx: number, dy: number) => s.evaluate(dx, dy).loss;
    expect(along(Math.cos(a), Math.sin(a))).toBeCloseTo(1, 9);
    expect(along(-Math.sin(a), Math.cos(a))).toBeCloseTo(25, 9);
    const H = s.hessianAt(0.3, -0.7);
    expect(H.hxy).not.toBeCloseTo(0, 3);
  });

  it('quadratic defaults: lambda 1 and 10, axis aligned', () => {
    const s = resolveSurface('quadratic');
    expect(s.minima[0].eigenvalues).toEqual([1, 10]);
    expect(s.hessianAt(0.4, 0.9)).toEqual({ hxx: 1, hxy: 0, hyy: 10 });
    expect(s.minima[0].lrLimit).toBe(0.2);
  });

  it('two-layer: the balanced points (1, 1) and (-1, -1), eigenvalues [0, 2], on a manifold', () => {
    const s = resolveSurface('two-layer');
    expect(s.minima.map((m) => [m.x, m.y])).toEqual([
      [1, 1],
      [-1, -1],
    ]);
    for (const m of s.minima) {
      expect(m.loss).toBe(0);
      expect(m.eigenvalues[0]).toBeCloseTo(0, 14);
      expect(m.eigenvalues[1]).toBeCloseTo(2, 14);
      expect(m.manifold).toBe(true);
      expect(m.radius).toBe(Infinity);
      expect(m.lrLimit).toBeCloseTo(1, 12);
    }
    // Sharpness along ab = 1 is a^2 + b^2.
    expect(s.eigenvaluesAt(2, 0.5)[1]).toBeCloseTo(4.25, 12);
  });

  it('double-well: the sharp minimum is >10x sharper, the flat one deeper', () => {
    const s = resolveSurface('double-well');
    const sharp = byName(s, 'sharp');
    const flat = byName(s, 'flat');
    expect(sharp.label).toBe('sharp');
    expect(flat.label).toBe('flat');
    expect(sharp.eigenvalues[1]).toBeGreaterThan(10 * flat.eigenvalues[1]);
    expect(flat.loss).toBeLessThan(sharp.loss);
    expect(sharp.x).toBeLessThan(0);
    expect(flat.x).toBeGreaterThan(0);
    expect(Math.abs(sharp.y)).toBeLessThan(1e-12);
    expect(sharp.lrLimit).toBeLessThan(flat.lrLimit);
  });

  it('double-well: the sharp lambda_max scales as depth / width^2', () => {
    for (const sharpWidth of [0.1, 0.15, 0.2, 0.3]) {
      for (const sharpDepth of [0.5, 1, 2]) {
        const m = byName(resolveSurface('double-well', { sharpWidth, sharpDepth }), 'sharp');
        const predicted = sharpDepth / (sharpWidth * sharpWidth);
        expect(m.eigenvalues[1] / predicted, `width ${sharpWidth}, depth ${sharpDepth}`).toBeGreaterThan(0.9);
        expect(m.eigenvalues[1] / predicted, `width ${sharpWidth}, depth ${sharpDepth}`).toBeLessThan(1.12);
      }
    }
    const narrow = byName(resolveSurface('double-well', { sharpWidth: 0.1 }), 'sharp').eigenvalues[1];
    const wide = byName(resolveSurface('double-well', { sharpWidth: 0.2 }), 'sharp').eigenvalues[1];
    expect(narrow / wide).toBeCloseTo(4, 0);
  });

  it('double-well: moving the wells moves the minima', () => {
    const s = resolveSurface('double-well', { sharpX: -1.5, flatX: 1.6, flatDepth: 3 });
    expect(byName(s, 'sharp').x).toBeCloseTo(-1.5, 1);
    expect(byName(s, 'flat').x).toBeCloseTo(1.6, 1);
    expect(byName(s, 'flat').loss).toBeLessThan(-2.5);
  });

  it('saddle has no minima', () => {
    const s = resolveSurface('saddle');
    expect(s.minima).toEqual([]);
    expect(s.eigenvaluesAt(0, 0)).toEqual([-2, 2]);
  });
});

describe('every preset', () => {
  for (const name of PRESET_NAMES) {
    it(`${name}: minima are stationary with a PSD Hessian, inside the domain, with sane radii`, () => {
      const s = resolveSurface(name);
      expect(s.id).toBe(name);
      const [x0, x1, y0, y1] = s.spec.domain;
      expect(x0).toBeLessThan(x1);
      expect(y0).toBeLessThan(y1);
      expect(s.spec.defaultStart[0]).toBeGreaterThanOrEqual(x0);
      expect(s.spec.defaultStart[0]).toBeLessThanOrEqual(x1);
      expect(s.spec.defaultStart[1]).toBeGreaterThanOrEqual(y0);
      expect(s.spec.defaultStart[1]).toBeLessThanOrEqual(y1);
      expect(Number.isFinite(s.evaluate(...s.spec.defaultStart).loss)).toBe(true);
      for (const m of s.minima) {
        expect(m.x).toBeGreaterThanOrEqual(x0);
        expect(m.x).toBeLessThanOrEqual(x1);
        expect(m.y).toBeGreaterThanOrEqual(y0);
        expect(m.y).toBeLessThanOrEqual(y1);
        const { loss, gx, gy } = s.evaluate(m.x, m.y);
        expect(loss).toBe(m.loss);
        const curvature = Number.isNaN(m.eigenvalues[1]) ? 1 : Math.max(1, m.eigenvalues[1]);
        expect(Math.hypot(gx, gy), `${m.name} gradient`).toBeLessThan(1e-9 * curvature * (1 + Math.hypot(m.x, m.y)));
        if (!Number.isNaN(m.eigenvalues[0])) {
          expect(m.eigenvalues[0], `${m.name} lambda_min`).toBeGreaterThan(-1e-9 * curvature);
          expect(m.eigenvalues[0]).toBeLessThanOrEqual(m.eigenvalues[1]);
          expect(m.lrLimit).toBeCloseTo(2 / m.eigenvalues[1], 12);
        }
        // Lower than its surroundings, a little way out.
        const r = Math.min(0.01, m.radius);
        for (let k = 0; k < 8; k++) {
          const a = (k * Math.PI) / 4;
          expect(s.evaluate(m.x + r * Math.cos(a), m.y + r * Math.sin(a)).loss).toBeGreaterThanOrEqual(m.loss);
        }
        expect(m.radius).toBeGreaterThan(0);
      }
      // Radii never overlap, so classification is unambiguous.
      for (const a of s.minima) {
        for (const b of s.minima) {
          if (a !== b && !a.manifold) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(a.radius + b.radius - 1e-12);
        }
      }
    });
  }
});

describe('resolveSurface', () => {
  it('looks presets up case-insensitively and ignores surrounding space', () => {
    expect(resolveSurface('  Rosenbrock ').id).toBe('rosenbrock');
    expect(isPresetName('SIX-HUMP-CAMEL')).toBe(true);
    expect(isPresetName('x^2')).toBe(false);
    expect(PRESET_NAMES).toEqual(Object.keys(PRESETS));
  });

  it('anything else is an expression in x and y', () => {
    const s = resolveSurface('x^2 + 3*y^2');
    expect(s.id).toBe('custom');
    expect(s.minima).toEqual([]);
    expect(s.evaluate(1, 2)).toEqual({ loss: 13, gx: 2, gy: 12 });
    expect(s.hessianAt(5, 5)).toEqual({ hxx: 2, hxy: 0, hyy: 6 });
    expect(() => resolveSurface('rosenbrok')).toThrow(ExpressionError);
  });

  it('Newton refinement converges to a stationary point from nearby', () => {
    const s = resolveSurface('himmelblau');
    const [x, y] = s.refineStationaryPoint(3.1, 1.9);
    expect(x).toBeCloseTo(3, 12);
    expect(y).toBeCloseTo(2, 12);
  });

  it('symmetricEigenvalues: ascending, right for diagonal and rotated matrices', () => {
    expect(symmetricEigenvalues(3, 0, 1)).toEqual([1, 3]);
    expect(symmetricEigenvalues(2, 1, 2)).toEqual([1, 3]);
    const [a, b] = symmetricEigenvalues(802, -400, 200);
    expect(a + b).toBeCloseTo(1002, 10);
    expect(a * b).toBeCloseTo(802 * 200 - 400 * 400, 8);
  });
});
