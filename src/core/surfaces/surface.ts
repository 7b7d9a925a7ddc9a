// A loss surface L(x, y): one expression, from which the loss, gradient and Hessian
// programs are derived symbolically. Both engines run these programs.

import { Graph, differentiate } from '../expr/graph';
import { parseExpression } from '../expr/parse';
import { compileProgram, Evaluator, type Program } from '../expr/program';
import { fullLoss, makeDataset, type Dataset, type DatasetSpec } from './dataset';

type MinimumLabel = 'global' | 'local' | 'sharp' | 'flat' | 'balanced' | 'saddle' | 'maximum' | 'degenerate';

/**
 * What a stationary point is by its Hessian: a minimum only when the Hessian is positive
 * definite (semidefinite for a manifold of minima, unknown where non-smooth); else a
 * saddle (eigenvalues of both signs), a maximum (both negative), or degenerate (a zero
 * eigenvalue: the Hessian cannot tell).
 */
export function stationaryKind(
  eigenvalues: [number, number],
  opts: { manifold?: boolean; nonSmooth?: boolean } = {},
): 'minimum' | 'saddle' | 'maximum' | 'degenerate' {
  const [lo, hi] = eigenvalues;
  if (opts.nonSmooth || Number.isNaN(lo)) return 'minimum';
  const zero = 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
  if (opts.manifold && lo >= -zero) return 'minimum';
  if (lo > zero) return 'minimum';
  if (hi < -zero) return 'maximum';
  if (lo < -zero && hi > zero) return 'saddle';
  return 'degenerate';
}

interface MinimumSpec {
  name: string;
  /** Approximate position; refined by Newton's method unless `manifold`. */
  at: [number, number];
  label?: MinimumLabel;
  /** Part of a continuum of minima (e.g. ab = 1): classify by nearest point, any distance, on loss alone. */
  manifold?: boolean;
  /** Not differentiable at the minimum (e.g. Ackley's cone): no curvature to report. */
  nonSmooth?: boolean;
}

export interface SurfaceSpec {
  id: string;
  title: string;
  expression: string;
  /** [xmin, xmax, ymin, ymax]: the region drawn and sampled for random starts. */
  domain: [number, number, number, number];
  defaultStart: [number, number];
  minima: MinimumSpec[];
  notes?: string;
  /** A dataset surface: the loss is the full-batch loss of this data (`expression` only describes it). */
  dataset?: DatasetSpec;
}

export interface Minimum {
  name: string;
  x: number;
  y: number;
  loss: number;
  /** Hessian eigenvalues at the minimum, ascending (NaN where non-smooth). */
  eigenvalues: [number, number];
  label: MinimumLabel;
  /** Classification radius: a converged particle this close belongs to this minimum. */
  radius: number;
  manifold: boolean;
  /** Largest learning rate for which plain GD is stable here: 2 / lambda_max. */
  lrLimit: number;
}

export function symmetricEigenvalues(hxx: number, hxy: number, hyy: number): [number, number] {
  const mean = (hxx + hyy) / 2;
  const r = Math.hypot((hxx - hyy) / 2, hxy);
  return [mean - r, mean + r];
}

export class Surface {
  /** Inputs x, y -> loss, gx, gy. */
  readonly step: Program;
  /** Inputs x, y -> loss. */
  readonly loss: Program;
  /** Inputs x, y -> hxx, hxy, hyy. */
  readonly hessian: Program;
  readonly minima: Minimum[];
  /** The data of a dataset surface: minibatch gradients replace the full gradient in the update. */
  readonly dataset: Dataset | null;
  private readonly f64: Evaluator;
  private readonly h64: Evaluator;

  /** Throws ExpressionError for a malformed expression. */
  constructor(readonly spec: SurfaceSpec) {
    const g = new Graph(spec.dataset ? 100_000 : undefined);
    this.dataset = spec.dataset ? makeDataset(spec.dataset) : null;
    const L = this.dataset ? fullLoss(g, this.dataset) : parseExpression(g, spec.expression, { variables: ['x', 'y'] });
    const gx = differentiate(g, L, 'x');
    const gy = differentiate(g, L, 'y');
    this.step = compileProgram(['x', 'y'], { loss: L, gx, gy });
    this.loss = compileProgram(['x', 'y'], { loss: L });
    this.hessian = compileProgram(['x', 'y'], {
      hxx: differentiate(g, gx, 'x'),
      hxy: differentiate(g, gx, 'y'),
      hyy: differentiate(g, gy, 'y'),
    });
    this.f64 = new Evaluator(this.step, false);
    this.h64 = new Evaluator(this.hessian, false);
    this.minima = this.resolveMinima();
  }

  static fromExpression(expression: string, domain: [number, number, number, number] = [-3, 3, -3, 3]): Surface {
    return new Surface({ id: 'custom', title: expression, expression, domain, defaultStart: [domain[0] * 0.7, domain[3] * 0.7], minima: [] });
  }

  get id(): string {
    return this.spec.id;
  }

  /** Float64 loss and gradient (for analysis; the engines use float32). */
  evaluate(x: number, y: number): { loss: number; gx: number; gy: number } {
    const e = this.f64.run(x, y);
    return { loss: e.out('loss'), gx: e.out('gx'), gy: e.out('gy') };
  }

  hessianAt(x: number, y: number): { hxx: number; hxy: number; hyy: number } {
    const e = this.h64.run(x, y);
    return { hxx: e.out('hxx'), hxy: e.out('hxy'), hyy: e.out('hyy') };
  }

  eigenvaluesAt(x: number, y: number): [number, number] {
    const h = this.hessianAt(x, y);
    return symmetricEigenvalues(h.hxx, h.hxy, h.hyy);
  }

  /** Newton's method on the gradient, in float64. */
  refineStationaryPoint(x: number, y: number, iterations = 50): [number, number] {
    for (let i = 0; i < iterations; i++) {
      const { gx, gy } = this.evaluate(x, y);
      const { hxx, hxy, hyy } = this.hessianAt(x, y);
      const det = hxx * hyy - hxy * hxy;
      if (!Number.isFinite(det) || Math.abs(det) < 1e-300) break;
      const dx = (hyy * gx - hxy * gy) / det;
      const dy = (hxx * gy - hxy * gx) / det;
      x -= dx;
      y -= dy;
      if (Math.hypot(dx, dy) < 1e-15 * (1 + Math.hypot(x, y))) break;
    }
    return [x, y];
  }

  private resolveMinima(): Minimum[] {
    const [x0, x1, y0, y1] = this.spec.domain;
    const diag = Math.hypot(x1 - x0, y1 - y0);
    const points = this.spec.minima.map((m) => (m.manifold || m.nonSmooth ? m.at : this.refineStationaryPoint(m.at[0], m.at[1])));
    return this.spec.minima.map((m, i) => {
      const [x, y] = points[i];
      let nearest = Infinity;
      points.forEach((p, j) => {
        if (j !== i) nearest = Math.min(nearest, Math.hypot(p[0] - x, p[1] - y));
      });
      const eigenvalues: [number, number] = m.nonSmooth ? [NaN, NaN] : this.eigenvaluesAt(x, y);
      const kind = stationaryKind(eigenvalues, m);
      return {
        name: m.name,
        x,
        y,
        loss: this.evaluate(x, y).loss,
        eigenvalues,
        // A preset's parameters can turn its "minimum" into a saddle (quadratic, lambda2 < 0).
        label: kind === 'minimum' ? (m.label ?? (i === 0 ? 'global' : 'local')) : kind,
        radius: m.manifold ? Infinity : Math.min(0.5 * nearest, 0.05 * diag),
        manifold: !!m.manifold,
        lrLimit: 2 / eigenvalues[1],
      };
    });
  }
}
