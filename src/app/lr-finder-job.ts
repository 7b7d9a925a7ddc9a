// The LR finder view's run: fastai's range test on the current surface and optimizer
// (src/core/analysis/lr-range-test.ts), on the GPU when there is one.

import { openCpuRun, runLrRangeTest, type RangeTestSpec } from '../core/analysis/lr-range-test';
import { openGpuRun } from '../gpu/lr-finder';
import type { LrFinderCurve } from '../views/lr-finder-view';
import { formatNumber } from '../display/ticks';
import type { DeviceHandle } from '../gpu/device';

/** Runs `spec` (view-specs.ts's lrFinderSpec) on the GPU when there is one. */
export async function runLrFinder(spec: RangeTestSpec, device: DeviceHandle | null): Promise<{ curve: LrFinderCurve; note: string }> {
  const { lrMin, lrMax } = spec;
  const oneStart = spec.start !== undefined;
  const r = await runLrRangeTest(spec, device ? openGpuRun(device) : openCpuRun);
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
