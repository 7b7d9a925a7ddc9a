// What a recorded frame or snapshot shows over the 3-D view: the annotations of the page
// (drawAnnotations: title, formula, step counter, eta legend), scaled to the output size.

import { annotationScale, drawAnnotations, type AnnotationContext, type AnnotationInput } from '../display/annotations';
import { formatNumber } from '../display/ticks';
import type { Explorer } from './explorer';
import { networkTitle } from '../model/network';

/** Annotations of the explorer's state where no scene provides them. */
export function stateAnnotations(explorer: Explorer): AnnotationInput {
  const s = explorer.state;
  const lr = s.lrMin === s.lrMax ? `η = ${formatNumber(s.lrMin)}` : `η ∈ [${formatNumber(s.lrMin)}, ${formatNumber(s.lrMax)}]`;
  return {
    title: s.model ? networkTitle(s) : (explorer.surface?.spec.title ?? s.surface),
    formula: `${s.optimizer}, ${lr}${s.schedule ? `, ${s.schedule}` : ''}`,
    step: explorer.steps,
    legend: s.colorBy === 'status' ? { kind: 'status' } : { kind: 'lr', min: s.lrMin, max: s.lrMax, colormap: s.particleColormap },
  };
}

/** Draws `input` with the counter at `step` (the frame's step, exactly). */
export function drawFrameOverlay(ctx: AnnotationContext, width: number, height: number, input: AnnotationInput, step: number): void {
  drawAnnotations(ctx, width, height, { ...input, step }, annotationScale(width, height));
}
