// What a recorded frame or snapshot shows: its layout's parts (the 3-D view, a view's
// picture) and the annotations of the page (drawAnnotations: title, formula, step counter,
// eta legend), scaled to the output size. One composition for videos and snapshots.

import { annotationScale, drawAnnotations, type AnnotationContext, type AnnotationInput, type AnnotationLayout } from '../display/annotations';
import { fitRect, layoutRegions, viewAloneRegion, type RecordLayout, type Region } from '../model/record-options';
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
function drawFrameOverlay(ctx: AnnotationContext, width: number, height: number, input: AnnotationInput, step: number): AnnotationLayout {
  return drawAnnotations(ctx, width, height, { ...input, step }, annotationScale(width, height));
}

/** The frame's background where no picture is (the page's). */
const BACKGROUND = '#0f1117';

/** What composeFrame draws on: a Canvas 2D context that also draws images. */
export type FrameContext = AnnotationContext & {
  drawImage(image: CanvasImageSource, x: number, y: number, width: number, height: number): void;
};

export interface FrameParts {
  /** The layout's view as its PNG export draws it (null: none, or nothing yet). */
  picture: (CanvasImageSource & { width: number; height: number }) | null;
  /** Draws the 3-D view into the context at (0, 0), at width x height (layouts with the 3-D view). */
  scene: ((width: number, height: number) => void) | null;
  /** null: a bare frame. */
  annotations: AnnotationInput | null;
  /** The step the counter shows. */
  step: number;
}

/**
 * One frame of `layout`: the 3-D view with the annotations over it, the view in its
 * region; a view alone sits between the annotations' title block and legend. Returns
 * where the annotations and the view's picture were drawn.
 */
export function composeFrame(
  ctx: FrameContext,
  width: number,
  height: number,
  layout: RecordLayout,
  parts: FrameParts,
): { annotations: AnnotationLayout | null; view: Region | null } {
  const regions = layoutRegions(width, height, layout);
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, width, height);
  let viewRegion = regions.view;
  let boxes: AnnotationLayout | null = null;
  if (regions.scene && parts.scene) {
    parts.scene(regions.scene.width, regions.scene.height);
    if (parts.annotations) boxes = drawFrameOverlay(ctx, regions.scene.width, regions.scene.height, parts.annotations, parts.step);
  } else if (parts.annotations) {
    boxes = drawFrameOverlay(ctx, width, height, parts.annotations, parts.step);
    viewRegion = viewAloneRegion(width, height, boxes.title, boxes.legend);
  }
  const drawn = viewRegion && parts.picture ? fitRect(viewRegion, parts.picture.width, parts.picture.height) : null;
  if (drawn) ctx.drawImage(parts.picture!, drawn.x, drawn.y, drawn.width, drawn.height);
  return { annotations: boxes, view: drawn };
}
