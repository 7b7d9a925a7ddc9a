// The LR finder view's run: fastai's range test on the current surface and optimizer
// (src/core/analysis/lr-range-test.ts), on the GPU when there is one.

import { openCpuRun, runLrRangeTest } from '../core/analysis/lr-range-test';
import { openGpuRun } from '../gpu/lr-finder';
import type { LrFinderCurve } from '../views/lr-finder-view';
import { formatNumber } from '../display/ticks';
import type { LiveRun } from './runs';
import type { RunSetup } from '../model/setup';
import { runConfig } from '../model/setup';
import type { DeviceHandle } from '../gpu/device';
import type { ExplorerState } from '../model/state';

/** The range test spans the particles' lr range widened (a decade up, two down). */
function rangeTestBounds(state: ExplorerState): { lrMin: number; lrMax: number } {
  return { lrMin: state.lrMin / 100, lrMax: state.lrMax * 10 };
}

export async function runLrFinder(live: { run: LiveRun; setup: RunSetup; device: DeviceHandle | null }, state: ExplorerState): Promise<{ curve: LrFinderCurve; note: string }> {
  const { lrMin, lrMax } = rangeTestBounds(state);
  const oneStart = state.layout === 'sweep' || state.layout === 'map';
  const { clipNorm, clipValue, noise, batchSize, seed } = runConfig(state);
  const r = await runLrRangeTest(
    {
      surface: live.setup.surface, optimizer: state.optimizer, hyper: state.hyper, lrMin, lrMax, steps: 200, particles: 64,
      start: oneStart ? (state.start ?? live.setup.surface.spec.defaultStart) : undefined, seed: state.seed,
      config: { clipNorm, clipValue, noise, batchSize, seed },
    },
    live.device ? openGpuRun(live.device) : openCpuRun,
  );
  const suggestions = (['valley', 'steep', 'minimum'] as const)
    .map((name) => ({ name, s: r.suggestions[name] }))
    .filter((x) => x.s !== null)
    .map(({ name, s }) => ({ name, lr: s!.lr }));
  const stop = r.stop === 'end' ? 'ran to the end' : `stopped at lr ${formatNumber(r.lrs[r.stopIndex ?? r.lrs.length - 1])} (${r.stop})`;
  const where = oneStart ? 'from the start' : `from ${r.particles} random starts`;
  return {
    curve: { lr: r.lrs, loss: r.raw, smoothed: r.smoothed, suggestions },
    note: `mean loss of ${r.particles} runs ${where}, lr ×${formatNumber((lrMax / lrMin) ** (1 / 200))} per step; ${stop}. valley ${formatNumber(r.suggestions.valley?.lr ?? NaN)}`,
  };
}
