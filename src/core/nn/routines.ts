// A network's loss, gradient and exact Hessian-vector product as loop programs
// (nn/ir.ts), generated from the model. The Hessian-vector product is Pearlmutter's
// R-operator: the forward pass carries R{.} = d/dr (.)(theta + r v) at r = 0 alongside
// the values, and the backward pass differentiates the backward pass the same way.
//
// Arrays (network-local indexes): th parameters, dir the direction v, gr the gradient,
// hv the product H v; xs, ys the data (rows); per point: h (each layer's input, layer
// 0's is xs), z (each layer's pre-activation), ga1 = g a'(g z) and gga2 = g^2 a''(g z),
// dz = dLoss/dz, sd = scale * dz; and their R{} twins rh, rz, rdz, srd. Locals: loss
// (the mean loss on exit), acc, racc and the softmax temporaries.

import { add, div, draw, fn, ix, load, local, loop, max, mul, num, set, store, sub, act, type Expr, type Index, type Routine, type Stmt } from './ir';
import type { Model } from './model';

export interface RoutineOptions {
  /** Points in the dataset (the loss is their mean). */
  points: number;
  /** Also compute the gradient into gr. */
  gradient: boolean;
  /** Also compute H dir into hv (needs gradient). */
  hvp: boolean;
  /**
   * A minibatch of this many points drawn with replacement per network and step (the
   * loss and gradient are their mean); 0 or absent: every point, in order.
   */
  batch?: number;
}

const LOCALS = ['loss', 'acc', 'racc', 'e', 'u', 'sm', 'sy', 'lse', 'q'];

/** Offsets of each layer's block in the per-point work arrays. */
function offsets(model: Model) {
  const inOff: number[] = [];
  const outOff: number[] = [];
  let a = 0;
  let b = 0;
  for (const l of model.layers) {
    inOff.push(a);
    outOff.push(b);
    a += l.fanIn;
    b += l.fanOut;
  }
  return { inOff, outOff };
}

export function networkRoutine(model: Model, opts: RoutineOptions): Routine {
  const { gradient } = opts;
  const R = opts.hvp;
  if (R && !gradient) throw new Error('the Hessian-vector product is computed with the gradient');
  const n = opts.points;
  const batch = opts.batch ?? 0;
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`the batch size must be a whole number >= 0 (0: full batch), got ${batch}`);
  const count = batch || n;
  const { inOff, outOff } = offsets(model);
  const L = model.layers.length;
  const d = model.inputs;
  const O = model.outputs;
  const g = model.spec.gain;
  const body: Stmt[] = [set('loss', num(0))];
  const P = model.params;
  if (gradient) body.push(loop('q', P, [store('gr', ix(0, ['q', 1]), num(0)), ...(R ? [store('hv', ix(0, ['q', 1]), num(0))] : [])]));

  // The input to layer l at unit index variable `i`, and its R{} (null: zero, layer 0).
  const inp = (l: number, i: string): Expr => (l === 0 ? load('xs', ix(0, ['p', d], [i, 1])) : load('h', ix(inOff[l], [i, 1])));
  const rinp = (l: number, i: string): Expr | null => (l === 0 ? null : load('rh', ix(inOff[l], [i, 1])));
  const W = (l: number): Index => ix(model.layers[l].w, ['i', model.layers[l].fanOut], ['j', 1]);
  const Wt = (l: number): Index => ix(model.layers[l].w, ['j', model.layers[l].fanOut], ['k', 1]); // rows j, columns k
  const at = (arr: string, off: number, v: string) => load(arr, ix(off, [v, 1]));

  const perPoint: Stmt[] = [];
  // Forward.
  model.layers.forEach((ly, l) => {
    const hidden = l < L - 1;
    const dot: Stmt[] = [set('acc', add(local('acc'), mul(inp(l, 'i'), load('th', W(l)))))];
    if (R) {
      const ri = rinp(l, 'i');
      if (ri) dot.push(set('racc', add(local('racc'), mul(ri, load('th', W(l))))));
      dot.push(set('racc', add(local('racc'), mul(inp(l, 'i'), load('dir', W(l))))));
    }
    const unit: Stmt[] = [set('acc', num(0)), ...(R ? [set('racc', num(0))] : []), loop('i', ly.fanIn, dot)];
    let z = mul(local('acc'), num(ly.scale));
    let rz = mul(local('racc'), num(ly.scale));
    if (ly.b >= 0) {
      z = add(z, load('th', ix(ly.b, ['j', 1])));
      rz = add(rz, load('dir', ix(ly.b, ['j', 1])));
    }
    unit.push(store('z', ix(outOff[l], ['j', 1]), z));
    if (R) unit.push(store('rz', ix(outOff[l], ['j', 1]), rz));
    if (hidden) {
      const zj = at('z', outOff[l], 'j');
      unit.push(set('u', mul(zj, num(g))));
      unit.push(store('h', ix(inOff[l + 1], ['j', 1]), act('a', local('u'))));
      if (gradient) unit.push(store('ga1', ix(outOff[l], ['j', 1]), mul(act('d1', local('u')), num(g))));
      if (R) {
        unit.push(store('gga2', ix(outOff[l], ['j', 1]), mul(mul(act('d2', local('u')), num(g)), num(g))));
        unit.push(store('rh', ix(inOff[l + 1], ['j', 1]), mul(at('ga1', outOff[l], 'j'), at('rz', outOff[l], 'j'))));
      }
    }
    perPoint.push(loop('j', ly.fanOut, unit));
  });

  // Loss at this point, and dLoss/dz of the output layer (and its R{}).
  const fo = outOff[L - 1];
  const f = (v: string) => at('z', fo, v);
  const y = (v: string) => load('ys', ix(0, ['p', O], [v, 1]));
  let divisor: number;
  if (model.spec.loss === 'mse') {
    divisor = count * O;
    const c2 = 2 / divisor;
    const out: Stmt[] = [set('e', sub(f('o'), y('o'))), set('loss', add(local('loss'), mul(local('e'), local('e'))))];
    if (gradient) out.push(store('dz', ix(fo, ['o', 1]), mul(local('e'), num(c2))));
    if (R) out.push(store('rdz', ix(fo, ['o', 1]), mul(at('rz', fo, 'o'), num(c2))));
    perPoint.push(loop('o', O, out));
  } else {
    // Softmax cross-entropy, mean over points: sum_o y_o (logsumexp(f) - f_o).
    divisor = count;
    const c1 = 1 / divisor;
    perPoint.push(
      set('sm', load('z', ix(fo))),
      loop('o', O, [set('sm', max(local('sm'), f('o')))]),
      set('e', num(0)),
      loop('o', O, [set('e', add(local('e'), fn('exp', sub(f('o'), local('sm')))))]),
      set('lse', add(local('sm'), fn('log', local('e')))),
      set('sy', num(0)),
      loop('o', O, [set('sy', add(local('sy'), y('o'))), set('loss', add(local('loss'), mul(y('o'), sub(local('lse'), f('o')))))]),
    );
    if (gradient) {
      // pr: the softmax probabilities of this point.
      perPoint.push(loop('o', O, [store('pr', ix(0, ['o', 1]), fn('exp', sub(f('o'), local('lse'))))]));
      perPoint.push(loop('o', O, [store('dz', ix(fo, ['o', 1]), mul(sub(mul(at('pr', 0, 'o'), local('sy')), y('o')), num(c1)))]));
    }
    if (R) {
      perPoint.push(set('q', num(0)), loop('o', O, [set('q', add(local('q'), mul(at('pr', 0, 'o'), at('rz', fo, 'o'))))]));
      perPoint.push(loop('o', O, [store('rdz', ix(fo, ['o', 1]), mul(mul(mul(at('pr', 0, 'o'), sub(at('rz', fo, 'o'), local('q'))), local('sy')), num(c1)))]));
    }
  }

  // Backward.
  if (gradient) {
    for (let l = L - 1; l >= 0; l--) {
      const ly = model.layers[l];
      const ob = outOff[l];
      const scaled: Stmt[] = [store('sd', ix(ob, ['j', 1]), mul(at('dz', ob, 'j'), num(ly.scale)))];
      if (R) scaled.push(store('srd', ix(ob, ['j', 1]), mul(at('rdz', ob, 'j'), num(ly.scale))));
      perPoint.push(loop('j', ly.fanOut, scaled));
      const wi = W(l);
      const acc: Stmt[] = [store('gr', wi, add(load('gr', wi), mul(inp(l, 'i'), at('sd', ob, 'j'))))];
      if (R) {
        const ri = rinp(l, 'i');
        const term = mul(inp(l, 'i'), at('srd', ob, 'j'));
        acc.push(store('hv', wi, add(load('hv', wi), ri ? add(mul(ri, at('sd', ob, 'j')), term) : term)));
      }
      perPoint.push(loop('i', ly.fanIn, [loop('j', ly.fanOut, acc)]));
      if (ly.b >= 0) {
        const bi = ix(ly.b, ['j', 1]);
        const bias: Stmt[] = [store('gr', bi, add(load('gr', bi), at('dz', ob, 'j')))];
        if (R) bias.push(store('hv', bi, add(load('hv', bi), at('rdz', ob, 'j'))));
        perPoint.push(loop('j', ly.fanOut, bias));
      }
      if (l > 0) {
        // dz of the layer below: (scale sum_k W[j][k] dz[k]) g a'(g z_j); here j is the lower layer's unit.
        const pb = outOff[l - 1];
        const dot: Stmt[] = [set('acc', add(local('acc'), mul(load('th', Wt(l)), at('sd', ob, 'k'))))];
        if (R) {
          dot.push(set('racc', add(local('racc'), mul(load('dir', Wt(l)), at('sd', ob, 'k')))));
          dot.push(set('racc', add(local('racc'), mul(load('th', Wt(l)), at('srd', ob, 'k')))));
        }
        const unit: Stmt[] = [set('acc', num(0)), ...(R ? [set('racc', num(0))] : []), loop('k', ly.fanOut, dot)];
        unit.push(store('dz', ix(pb, ['j', 1]), mul(local('acc'), at('ga1', pb, 'j'))));
        if (R) {
          unit.push(
            store('rdz', ix(pb, ['j', 1]), add(mul(local('racc'), at('ga1', pb, 'j')), mul(mul(local('acc'), at('gga2', pb, 'j')), at('rz', pb, 'j')))),
          );
        }
        perPoint.push(loop('j', ly.fanIn, unit));
      }
    }
  }
  body.push(batch ? draw('p', batch, n, perPoint) : loop('p', n, perPoint));
  body.push(set('loss', div(local('loss'), num(divisor))));
  return { locals: LOCALS, body };
}
