// Timing loops shared by `etascape bench`'s workloads (src/cli/bench.ts, bench-peers.ts).

import type { Engine } from '../core/engine/engine';
import { Status, particleStatus, particleSteps } from '../core/particles';

/** Anything that takes dispatches of k steps: the engine, the bare kernel. */
interface Steppable {
  step(k: number): void;
  done(): Promise<void>;
}

export async function counters(engine: Engine): Promise<{ steps: number; stopped: number }> {
  const s = await engine.read();
  let steps = 0;
  let stopped = 0;
  for (let i = 0; i < s.n; i++) {
    steps += particleSteps(s.info, i);
    if (particleStatus(s.info, i) !== Status.Running) stopped++;
  }
  return { steps, stopped };
}

/** `steps` as dispatches of k steps (the last one shorter when k does not divide steps). */
export function dispatchPlan(steps: number, k: number): number[] {
  const plan: number[] = [];
  for (let done = 0; done < steps; done += k) plan.push(Math.min(k, steps - done));
  return plan;
}

/**
 * Times rounds of dispatches (`plan`: steps per dispatch) after a one-step warm-up
 * dispatch (not counted). Submits batches of 1, 2, 4, ... rounds, waiting for the GPU
 * after each, until `minSeconds` have passed or `maxRounds` rounds ran. `count` reads
 * the executed particle-steps and stopped particles (the engine's counters); without
 * it every particle is taken to run every step (the bare kernel, n particles).
 */
export async function timeGpu(
  target: Steppable,
  plan: number[],
  minSeconds: number,
  maxRounds: number,
  count: (() => Promise<{ steps: number; stopped: number }>) | number,
) {
  target.step(1);
  await target.done();
  const before = typeof count === 'number' ? { steps: 0, stopped: 0 } : await count();
  const t = performance.now();
  let rounds = 0;
  for (let batch = 1; ; batch *= 2) {
    const b = Math.min(batch, maxRounds - rounds);
    for (let r = 0; r < b; r++) for (const k of plan) target.step(k);
    rounds += b;
    await target.done();
    if (performance.now() - t >= minSeconds * 1000 || rounds >= maxRounds) break;
  }
  const seconds = (performance.now() - t) / 1000;
  const perRound = plan.reduce((a, k) => a + k, 0);
  const after = typeof count === 'number' ? { steps: count * perRound * rounds, stopped: 0 } : await count();
  return { dispatches: rounds * plan.length, particleSteps: after.steps - before.steps, seconds, stopped: after.stopped };
}

export type Timing = Awaited<ReturnType<typeof timeGpu>>;
const rate = (t: Timing) => t.particleSteps / t.seconds;

/** How many times timeAlternating times each target. */
export const ALTERNATIONS = 5;

/**
 * Times the targets in turn, ALTERNATIONS times (a, b, a, b, ...), each time for
 * minSeconds / ALTERNATIONS, and keeps each one's fastest timing. Noise on shared cores
 * only adds time, so the fastest is the best estimate of a kernel's own cost; taking it
 * for every target alike, after turns through the same machine states, keeps their
 * ratio fair (one timing each, back to back, moved the ratios by 10-30% between runs).
 */
export async function timeAlternating(
  targets: { target: Steppable; count: Parameters<typeof timeGpu>[4] }[],
  plan: number[],
  minSeconds: number,
  maxRounds: number,
): Promise<Timing[]> {
  const best: Timing[] = [];
  for (let turn = 0; turn < ALTERNATIONS; turn++) {
    for (const [i, t] of targets.entries()) {
      const m = await timeGpu(t.target, plan, minSeconds / ALTERNATIONS, maxRounds, t.count);
      if (!best[i] || rate(m) > rate(best[i])) best[i] = m;
    }
  }
  return best;
}

/** The engine (its own step counters) and its bare twin (n particles, every step) in turns. */
export function timeEngineAndBare(engine: Engine & Steppable, bare: Steppable, n: number, plan: number[], minSeconds: number, maxRounds: number) {
  return timeAlternating(
    [
      { target: engine, count: () => counters(engine) },
      { target: bare, count: n },
    ],
    plan,
    minSeconds,
    maxRounds,
  );
}
