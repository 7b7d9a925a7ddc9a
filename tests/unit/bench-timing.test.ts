// `etascape bench` times the engine and its bare twin in turns and keeps each one's
// fastest timing (timeAlternating): the turns interleave, and the fastest is kept for
// every target alike, whichever turn it came from. A fake clock: no real timing.

import { afterEach, expect, test, vi } from 'vitest';
import { ALTERNATIONS, timeAlternating } from '../../src/cli/bench-timing';

let clock = 0;
afterEach(() => vi.restoreAllMocks());

/** A target whose round of dispatches takes msPerTurn[turn] on the fake clock; it logs its name per dispatch. */
function fake(name: string, msPerTurn: number[], log: string[]) {
  let turn = -1;
  let pending = 0;
  return {
    step(k: number) {
      if (k === 1 && pending === 0) turn++; // timeGpu's one-step warm-up opens each turn
      pending += k;
      log.push(name);
    },
    async done() {
      if (pending > 1) clock += msPerTurn[turn];
      pending = 0;
    },
  };
}

test('timeAlternating: turns a, b, a, b, ...; each target keeps its fastest turn', async () => {
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
  const log: string[] = [];
  // a is slow on its first turn, b on its last: their fastest turns differ.
  const a = fake('a', [300, 20, 30, 40, 50], log);
  const b = fake('b', [60, 50, 70, 40, 500], log);
  const [ta, tb] = await timeAlternating(
    [
      { target: a, count: 1 },
      { target: b, count: 1 },
    ],
    [100],
    0.001,
    1,
  );
  expect(ALTERNATIONS).toBe(5);
  // Each turn: the warm-up, then one round (maxRounds 1).
  expect(log.join('')).toBe('aabb'.repeat(5));
  expect([ta.seconds, tb.seconds]).toEqual([0.02, 0.04]);
  expect([ta.particleSteps, tb.particleSteps]).toEqual([100, 100]);
});
