// The LR range test on the GPU: an opener for runLrRangeTest (src/core/analysis/lr-range-test.ts)
// that runs the particles on a GpuEngine and records each step through a HistoryRecorder.

import type { RunOpener } from '../core/analysis/lr-range-test';
import type { DeviceHandle } from './device';
import { GpuEngine } from './engine';
import { HistoryRecorder } from './history';

export function openGpuRun(handle: DeviceHandle): RunOpener {
  return async (setup, selected, capacity) => {
    const engine = await GpuEngine.create(handle, setup);
    let history: HistoryRecorder;
    try {
      history = await HistoryRecorder.create(engine, setup, selected, capacity);
    } catch (e) {
      engine.destroy();
      throw e;
    }
    return {
      engine,
      history,
      close: () => {
        history.destroy();
        engine.destroy();
      },
    };
  };
}
