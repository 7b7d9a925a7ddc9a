// The outcome of each network of a map: converged or not, and the value it is ranked by
// (the fractal notebook's measure, or the loss ratio by the engine's stop rule), and the
// fractal's colouring of a map from them. The CLI's `map --model` and the page's network
// map both use these.

import { eventStep, particleStatus, Status } from '../particles';
import { fractalMeasureOfRun } from './setup';
import type { NetState } from './train';

/** What the outcomes read of a state: a float32 engine's (NetState) or a df64 one's (WideState). */
type OutcomeState = Pick<NetState, 'n' | 'info'> & { losses: ArrayLike<number>; history: Float32Array | Float64Array };

/**
 * Per network: converged, and its rank value. 'fractal' needs the loss history of
 * `steps` steps (config.history = steps); 'status' counts a running network whose loss
 * fell as converged.
 */
export function networkOutcomes(st: OutcomeState, steps: number, measure: 'status' | 'fractal'): { converged: boolean[]; value: number[] } {
  const converged: boolean[] = [];
  const value: number[] = [];
  for (let i = 0; i < st.n; i++) {
    const status = particleStatus(st.info, i);
    if (measure === 'fractal') {
      const m = fractalMeasureOfRun(st.history.subarray(i * steps, (i + 1) * steps), status, eventStep(st.info, i), steps);
      converged.push(m.converged);
      value.push(m.value);
    } else {
      converged.push(status === Status.Converged || (status === Status.Running && st.losses[2 * i + 1] < st.losses[2 * i]));
      value.push(st.losses[2 * i + 1] / st.losses[2 * i]);
    }
  }
  return { converged, value };
}

/** The fractal colouring's colour at rank t in [0, 1] of its side: converged blue, diverged red, darker as t grows. */
export function fractalColor(converged: boolean, t: number): [number, number, number] {
  const shade = Math.round(60 + 180 * t);
  return converged ? [255 - shade, 255 - shade / 2, 255] : [255, 255 - shade, 255 - shade];
}

/** The fractal colouring: converged and diverged ranked separately by their measure, blue and red ramps; RGBA rows with y growing upwards (row 0 at the top). */
export function fractalImage(res: number, converged: boolean[], value: number[]): Uint8Array {
  const rgba = new Uint8Array(4 * res * res);
  for (const side of [true, false]) {
    const idx = converged
      .map((c, i) => (c === side ? i : -1))
      .filter((i) => i >= 0)
      .sort((a, b) => value[a] - value[b]);
    idx.forEach((i, r) => {
      const t = idx.length > 1 ? r / (idx.length - 1) : 0.5;
      const row = res - 1 - Math.floor(i / res); // y grows upwards
      const at = 4 * (row * res + (i % res));
      rgba.set(fractalColor(side, t), at);
      rgba[at + 3] = 255;
    });
  }
  return rgba;
}
