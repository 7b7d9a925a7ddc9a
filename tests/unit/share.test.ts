// Sharing: the state round-trips through the URL hash and a JSON file; hostile or
// malformed links and files give a message, never a throw, never executed code.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeHash, encodeHash, exportJson, HASH_PREFIX, importJson, stateDelta } from '../../src/model/share';
import { DEFAULT_STATE, type ExplorerState } from '../../src/model/state';

const state = (c: Partial<ExplorerState> = {}): ExplorerState => ({ ...DEFAULT_STATE, ...c });
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Valid states: every kind of field changed, including a custom expression with non-ASCII text. */
/** JSON has no -0: the tests use +0 (a start of -0 and 0 are the same place). Values float32
 * turns into a subnormal (or 0) are refused by the state (tests/unit/limits.test.ts), so not drawn here. */
const num = (min: number, max: number) =>
  fc
    .double({ min, max, noNaN: true })
    .map((v) => v + 0)
    .filter((v) => v === 0 || Math.abs(v) >= 2 ** -126);
const arbState = fc
  .record({
    surface: fc.constantFrom('double-well', 'rosenbrock', 'x^2 + 3*y^2', 'sin(x) * cos(y) + 0.1*(x^2+y^2)', '0.5*(x*y-1)^2'),
    optimizer: fc.constantFrom('SGD', 'Adam', 'RMSprop', 'Lion'),
    hyper: fc.dictionary(fc.constantFrom('momentum', 'weight_decay', 'nesterov'), num(0, 0.99)),
    lrMin: num(1e-6, 1e-2),
    lrMax: num(0.02, 10),
    n: fc.integer({ min: 1, max: 1_000_000 }),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    schedule: fc.constantFrom('', 'StepLR(step_size=30, gamma=0.5)', 'SequentialLR(schedulers=[LinearLR(), CosineAnnealingLR(T_max=90)], milestones=[10])'),
    views: fc.subarray(['loss', 'sweep', 'bifurcation', 'map', 'basins', 'lrfinder', 'sharpness', 'netmap', 'netloss', 'netsharp', 'netsweep'] as const),
    // Networks as particles: the model and its data travel in the link too.
    model: fc.constantFrom('', 'mlp:2,8,1:relu:bias', 'mlp:16,16,1:tanh:mean-field:gain=sqrt2'),
    dataset: fc.constantFrom('teacher', 'two-moons', 'xor'),
    dataSeed: fc.integer({ min: 0, max: 0xffffffff }),
    planeMode: fc.constantFrom('random', 'three'),
    planeNets: fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000)),
    camera: fc.option(
      fc.record({ position: fc.tuple(num(-5, 5), fc.constant(3), fc.constant(1)), target: fc.constant([0, 0, 0] as [number, number, number]) }),
    ),
    start: fc.option(fc.tuple(num(-3, 3), num(-3, 3))),
  })
  .map((c) => state(c as Partial<ExplorerState>));

describe('URL hash', () => {
  test('the default state is a short link and decodes back', () => {
    expect(encodeHash(DEFAULT_STATE)).toBe(`${HASH_PREFIX}${b64url('{}')}`);
    expect(decodeHash('')).toEqual({ state: DEFAULT_STATE });
    expect(decodeHash(encodeHash(DEFAULT_STATE))).toEqual({ state: DEFAULT_STATE });
  });
  test('every state round-trips exactly (fast-check)', () => {
    fc.assert(
      fc.property(arbState, (s) => {
        expect(decodeHash(encodeHash(s))).toEqual({ state: s });
      }),
      { numRuns: 300 },
    );
  });
  test('only settings that differ from the defaults travel', () => {
    expect(stateDelta(state({ seed: 7, surface: 'x^2' }))).toEqual({ seed: 7, surface: 'x^2' });
  });
  test('malformed links say what is wrong', () => {
    expect(decodeHash('#foo')).toEqual({ error: `the link's settings must start with '${HASH_PREFIX}'` });
    expect(decodeHash('#s=%%%')).toMatchObject({ error: expect.stringMatching(/base64url/) });
    expect(decodeHash(`#s=${b64url('{"n": ')}`)).toMatchObject({ error: expect.stringMatching(/could not be read/) });
    expect(decodeHash(`#s=${b64url('[1,2]')}`)).toMatchObject({ error: expect.stringMatching(/JSON object/) });
    expect(decodeHash(`#s=${b64url('{"lrMin": -1}')}`)).toMatchObject({ error: expect.stringMatching(/lrMin/) });
    expect(decodeHash(`#s=${b64url('{"n": 1e9}')}`)).toMatchObject({ error: expect.stringMatching(/^the link's settings are invalid: n:/) });
    expect(decodeHash(`#s=${b64url('{"views": ["nope"]}')}`)).toMatchObject({ error: expect.stringMatching(/views/) });
    expect(decodeHash('#s=' + 'A'.repeat(40_000))).toMatchObject({ error: expect.stringMatching(/too long/) });
  });
  test('prototype keys are refused, wherever they are', () => {
    for (const json of ['{"__proto__": {"polluted": 1}}', '{"surfaceParams": {"__proto__": {"x": 1}}}', '{"hyper": {"constructor": 1}}']) {
      expect(decodeHash(`#s=${b64url(json)}`)).toMatchObject({ error: expect.stringMatching(/not allowed/) });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  test('fuzzed hashes never throw and never run code (fast-check)', () => {
    const g = globalThis as Record<string, unknown>;
    g.__etascapePwned = false;
    const payloads = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ maxLength: 300 }).map((t) => HASH_PREFIX + t),
      fc.json().map((j) => HASH_PREFIX + b64url(j)),
      fc
        .constantFrom(
          '{"surface": "globalThis.__etascapePwned = true"}',
          '{"surface": "constructor.constructor(\\"globalThis.__etascapePwned=true\\")()"}',
          '{"schedule": "StepLR(step_size=(globalThis.__etascapePwned=1))"}',
          '{"surface": "<img src=x onerror=alert(1)>"}',
        )
        .map((j) => HASH_PREFIX + b64url(j)),
    );
    fc.assert(
      fc.property(payloads, (hash) => {
        const r = decodeHash(hash);
        expect('state' in r || 'error' in r).toBe(true);
        if ('error' in r) expect(typeof r.error).toBe('string');
      }),
      { numRuns: 1000 },
    );
    expect(g.__etascapePwned).toBe(false);
  });
});

describe('JSON state file', () => {
  test('round-trips, with format and version', () => {
    fc.assert(
      fc.property(arbState, (s) => {
        expect(importJson(exportJson(s))).toEqual({ state: s });
      }),
      { numRuns: 100 },
    );
    expect(JSON.parse(exportJson(DEFAULT_STATE))).toMatchObject({ format: 'etascape-state', version: 1 });
  });
  test('bad files say what is wrong', () => {
    expect(importJson('nope')).toMatchObject({ error: expect.stringMatching(/not valid JSON/) });
    expect(importJson('{"state": {}}')).toMatchObject({ error: expect.stringMatching(/not an etascape state/) });
    expect(importJson('{"format": "etascape-state", "version": 9, "state": {}}')).toMatchObject({ error: expect.stringMatching(/version 9/) });
    expect(importJson('{"format": "etascape-state", "version": 1, "state": {"seed": -1}}')).toMatchObject({ error: expect.stringMatching(/seed/) });
  });
});
