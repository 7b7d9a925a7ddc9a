// The lecture scenes: every preset is a valid state that builds a run; lookup by id or number.

import { describe, expect, test } from 'vitest';
import { findScene, sceneState, SCENES } from '../../src/model/scenes';
import { buildRun } from '../../src/model/setup';
import { decodeHash, encodeHash, exportJson, importJson } from '../../src/model/share';
import { DEFAULT_STATE, ExplorerStateSchema } from '../../src/model/state';

describe('scenes', () => {
  test('19 scenes numbered 1..19 in order, unique ids, each with a title, summary and formula', () => {
    expect(SCENES.map((s) => s.number)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect(new Set(SCENES.map((s) => s.id)).size).toBe(19);
    for (const s of SCENES) {
      expect(s.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      for (const text of [s.title, s.summary, s.formula]) expect(text.trim().length).toBeGreaterThan(3);
      expect(s.summary).not.toMatch(/\n/);
    }
  });

  for (const scene of SCENES) {
    test(`${scene.number}. ${scene.id}: its state parses and builds a run`, () => {
      const state = sceneState(scene.id);
      expect(ExplorerStateSchema.safeParse(state).success).toBe(true);
      // The scene's own keys win over the defaults.
      for (const [k, v] of Object.entries(scene.state)) expect(state[k as keyof typeof state]).toEqual(v);
      const run = buildRun(state, Math.min(state.n, 64));
      expect(run.particles.n).toBeGreaterThan(0);
      expect(run.optimizer.def.name.toLowerCase()).toBe(state.optimizer.toLowerCase());
    });
  }

  test("scenes differ from each other; the page's default is scene 7 (sharp vs flat)", () => {
    const keys = SCENES.map((s) => JSON.stringify(sceneState(s.id)));
    expect(new Set(keys).size).toBe(19);
    expect(keys.indexOf(JSON.stringify(DEFAULT_STATE))).toBe(6);
  });

  test('every scene round-trips through the URL hash and the JSON file', () => {
    for (const scene of SCENES) {
      const state = sceneState(scene.id);
      expect(decodeHash(encodeHash(state)), scene.id).toEqual({ state });
      expect(importJson(exportJson(state)), scene.id).toEqual({ state });
    }
  });

  test('findScene takes an id or a number; an unknown one is a clear error listing the ids', () => {
    expect(findScene('sharp-vs-flat').number).toBe(7);
    expect(findScene(7).id).toBe('sharp-vs-flat');
    expect(findScene(' 18 ').id).toBe('catapult');
    expect(() => findScene('nope')).toThrow(/unknown scene 'nope'.*one-step, three-regimes/);
    expect(() => findScene(24)).toThrow(/1-23/);
  });
});
