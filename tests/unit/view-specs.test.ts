// The views' runs are keyed on the very spec their runner gets (src/app/view-specs.ts):
// changing any field of any view's spec changes its key (the view recomputes), and the
// state inputs the old hand-kept keys forgot now reach the keys.

import { describe, expect, test } from 'vitest';
import { resolveSurface, Surface } from '../../src/core/surfaces';
import { DEFAULT_STATE, type ExplorerState } from '../../src/model/state';
import { bifurcationSpec, lrFinderSpec, mapSpec, specKey, type ViewInputs } from '../../src/app/view-specs';
import { mapTitle } from '../../src/app/view-status';

const surface = resolveSurface(DEFAULT_STATE.surface, DEFAULT_STATE.surfaceParams);
const inputs = (change: Partial<ExplorerState> = {}): ViewInputs => ({
  state: { ...DEFAULT_STATE, ...change },
  surface,
  mode: 'gpu',
  meshMapping: { lossMin: 0, lossTop: 2 },
});

const BUILDERS = {
  map: (i: ViewInputs) => mapSpec('map', i),
  basins: (i: ViewInputs) => mapSpec('basins', i),
  bifurcation: (i: ViewInputs) => bifurcationSpec({ ...i, state: { ...i.state, bifurcationValue: 'loss' } }),
  lrfinder: (i: ViewInputs) => lrFinderSpec(i),
} as const;

type Path = (string | number)[];

/** Every leaf of a spec (a surface, a function, a number, a string, a boolean, null) with its path. */
function leaves(v: unknown, path: Path = []): Path[] {
  if (v instanceof Surface || v === null || typeof v !== 'object') return [path];
  if (ArrayBuffer.isView(v)) return Array.from({ length: (v as unknown as ArrayLike<number>).length }, (_, i) => [...path, i]);
  return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, Array.isArray(v) ? Number(k) : k]));
}

/** A copy of `v` (class instances shared) with the leaf at `path` changed. */
function perturbed(v: unknown, path: Path): unknown {
  if (path.length === 0) {
    if (v instanceof Surface) return resolveSurface('rosenbrock', {});
    if (typeof v === 'number') return v + 1 === v ? v * 2 : v + 1;
    if (typeof v === 'string') return `${v}_`;
    if (typeof v === 'boolean') return !v;
    if (typeof v === 'function') return () => 'another function';
    if (v === null || v === undefined) return 0;
    throw new Error(`cannot change ${String(v)}`);
  }
  const [head, ...rest] = path;
  if (ArrayBuffer.isView(v)) {
    const copy = (v as unknown as { slice(): Float32Array }).slice();
    copy[head as number] = perturbed(copy[head as number], rest) as number;
    return copy;
  }
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  copy[head] = perturbed(copy[head], rest);
  return copy;
}

describe('view job keys', () => {
  for (const [name, build] of Object.entries(BUILDERS)) {
    test(`${name}: changing any field of its spec changes its key`, () => {
      const spec = build(inputs());
      const key = specKey(spec, 'gpu');
      const paths = leaves(spec);
      expect(paths.length).toBeGreaterThan(10);
      const missed = paths.filter((p) => specKey(perturbed(spec, p) as object, 'gpu') === key).map((p) => p.join('.'));
      expect(missed).toEqual([]);
      // Undefined fields (a start left to the runner) are keyed too: setting one changes the key.
      expect(specKey({ ...spec, extra: undefined }, 'gpu')).not.toBe(key);
      expect(specKey(spec, 'cpu')).not.toBe(key);
      // The same inputs give the same key (no recompute without a change).
      expect(specKey(build(inputs()), 'gpu')).toBe(key);
    });
  }

  // The inputs the hand-kept keys forgot (issue 12): each now changes the key.
  const forgotten: [keyof typeof BUILDERS, Partial<ExplorerState>][] = [
    ['lrfinder', { lrMin: 0.001 }],
    ['lrfinder', { lrMax: 0.9 }],
    ['lrfinder', { layout: 'sweep' }],
    ['lrfinder', { clipNorm: 1 }],
    ['lrfinder', { clipValue: 1 }],
    ['lrfinder', { noise: 0.1 }],
    ['lrfinder', { batchSize: 4 }],
    ['bifurcation', { batchSize: 4 }],
    ['bifurcation', { samRho: 0.05 }],
    ['map', { lrY: 0.01 }],
  ];
  test.each(forgotten)('%s recomputes when %o changes', (name, change) => {
    const build = BUILDERS[name];
    const before = specKey(build(inputs(name === 'map' || name === 'bifurcation' ? { noise: 0.1 } : {})), 'gpu');
    const after = specKey(build(inputs({ ...(name === 'map' || name === 'bifurcation' ? { noise: 0.1 } : {}), ...change })), 'gpu');
    expect(after).not.toBe(before);
  });
});

describe('the map view switches to df64 where float32 does not resolve the window', () => {
  const deep = {
    x: { param: 'lr', min: 0.1, max: 0.1 * (1 + 1e-8), scale: 'log' as const },
    y: { param: 'momentum', min: 0, max: 0.9, scale: 'linear' as const },
  };
  test('the whole window: float32; a drag-zoomed window 1e-8 wide: df64, its title says so', () => {
    expect(mapSpec('map', inputs()).precision).toBe('f32');
    expect(mapSpec('map', inputs({ mapWindow: deep })).precision).toBe('df64');
    expect(mapTitle('map', 100, 0.1, 'df64')).toBe('outcome after 100 steps, df64');
  });
  test('settings df64 cannot run: one line naming the window and the setting', () => {
    expect(() => mapSpec('map', inputs({ mapWindow: deep, samRho: 0.1 }))).toThrow(
      /^float32 no longer resolves this window \(lr spans 1\.0e-8 of its value, under float32's 1e-5\); df64 cannot run it: SAM is float32 only$/,
    );
  });
});
