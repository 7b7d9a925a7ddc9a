// The words of the view panels: status lines for the views' own runs and the notes under
// the live run's charts. Pure text from numbers, no DOM.

import type { MapProgress } from '../gpu/map-runner';
import { formatNumber } from '../display/ticks';
import type { JobEvent, ViewJob } from './view-jobs';

const COMPUTING = 'computing…';
export const LR_FINDER_RUNNING = 'running the range test…';

export function couldNotRun(message: string): string {
  return `could not run: ${message}`;
}

/** A job just started, or failed to start or to tick. */
export function jobEventText(e: JobEvent): string {
  return 'error' in e ? couldNotRun(e.error) : COMPUTING;
}

/** A running or finished job's line. */
export function jobStatus(job: ViewJob): string {
  if (job.kind === 'bifurcation') {
    return job.runner.result ? 'period doubling shows as the branches split; click an lr for a probe' : `computing… ${(job.runner.progress * 100).toFixed(0)}%`;
  }
  const prog: MapProgress = job.runner.progress;
  if (!prog.finished) return `computing ${prog.level + 1}/${prog.levels}: ${((prog.done / Math.max(1, prog.total)) * 100).toFixed(0)}%`;
  const img = job.runner.latest;
  const df64 = job.runner.precision === 'df64' ? ' in df64 (float32 does not resolve this window)' : '';
  return job.kind === 'map' ? `${img?.nx}×${img?.ny} runs${df64}; drag to zoom, click a pixel for a probe` : 'click a start for a probe';
}

/** The figure title of a map or basins image ('df64' when its runs were double-float). */
export function mapTitle(kind: 'map' | 'basins', mapSteps: number, basinLr: number, precision: 'f32' | 'df64' = 'f32'): string {
  const df64 = precision === 'df64' ? ', df64' : '';
  return (kind === 'basins' ? `where runs end, lr ${formatNumber(basinLr)}` : `outcome after ${mapSteps} steps`) + df64;
}

/** The bifurcation figure's title and note. */
export function bifurcationText(record: number, n: number, start: readonly [number, number]): { title: string; note: string } {
  return { title: `last ${record} iterates per lr`, note: `${n} runs from (${formatNumber(start[0])}, ${formatNumber(start[1])})` };
}

/** The note under the sweep curve. */
export function sweepNote(step: number, converged: readonly number[], lossOffset: number): string {
  const conv = converged.reduce((x, y) => x + (Number.isFinite(y) ? y : 0), 0) / Math.max(1, converged.length);
  return `step ${step}: median and q10–q90 of the loss per lr bin${lossFloorNote(lossOffset)}; ${(conv * 100).toFixed(0)}% converged`;
}

/** How a loss axis shifted by the surface's floor says so. */
function lossFloorNote(offset: number): string {
  return offset !== 0 ? ` (loss − ${formatNumber(offset)})` : '';
}

export function lossCurvesNote(bins: number): string {
  return `median and q10–q90 band of ${bins} lr bins; dashed: one particle of each`;
}

export const SHARPNESS_NOTE = 'top Hessian eigenvalue along the traced particles; dashed: 2/η (edge of stability)';
