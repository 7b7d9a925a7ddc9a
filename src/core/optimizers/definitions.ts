// PyTorch's optimizers, each one definition. Formulas follow torch.optim's
// single-tensor implementations, in the same order of operations.

import type { HyperParam, OptimizerDef } from './optimizer';

const lr = (def: number): HyperParam => ({ name: 'lr', default: def, min: 0, openMin: true, doc: 'learning rate eta' });
const weightDecay: HyperParam = { name: 'weight_decay', default: 0, min: 0, doc: 'L2 penalty added to the gradient' };

export const SGD: OptimizerDef = {
  name: 'SGD',
  aliases: ['gd'],
  doc: 'Gradient descent; with momentum the heavy ball (PyTorch form: buf = momentum*buf + (1-dampening)*g), or Nesterov.',
  hyper: [
    lr(1e-3),
    { name: 'momentum', default: 0, min: 0, doc: 'momentum factor beta' },
    { name: 'dampening', default: 0, min: 0, max: 1, doc: 'dampening for momentum' },
    weightDecay,
    { name: 'nesterov', default: 0, bool: true, doc: 'Nesterov momentum' },
  ],
  state: ['buf'],
  update: `
    g = g + weight_decay * p
    buf = t == 0 ? g : momentum * buf + (1 - dampening) * g
    d = momentum == 0 ? g : (nesterov == 1 ? g + momentum * buf : buf)
    p = p - lr * d
  `,
  check: (h) => (h.nesterov === 1 && (h.momentum <= 0 || h.dampening !== 0) ? 'nesterov needs momentum > 0 and dampening = 0' : null),
};

export const Adam: OptimizerDef = {
  name: 'Adam',
  doc: 'Adam with bias correction (PyTorch); amsgrad keeps the running maximum of the second moment.',
  hyper: [
    lr(1e-3),
    { name: 'beta1', default: 0.9, min: 0, max: 1, openMax: true, doc: 'first-moment decay (betas[0])' },
    { name: 'beta2', default: 0.999, min: 0, max: 1, openMax: true, doc: 'second-moment decay (betas[1])' },
    { name: 'eps', default: 1e-8, min: 0, doc: 'term added to the denominator' },
    weightDecay,
    { name: 'amsgrad', default: 0, bool: true, doc: 'AMSGrad variant' },
  ],
  state: ['m', 'v', 'vmax'],
  update: `
    g = g + weight_decay * p
    w = 1 - beta1
    m = w < 0.5 ? m + w * (g - m) : g - (g - m) * (1 - w)
    v = v * beta2 + (1 - beta2) * g * g
    step = t + 1
    bc1 = 1 - beta1 ^ step
    bc2 = 1 - beta2 ^ step
    step_size = lr / bc1
    vmax = amsgrad == 1 ? max(vmax, v) : vmax
    denom = sqrt((amsgrad == 1 ? vmax : v) / bc2) + eps
    p = p - step_size * (m / denom)
  `,
};

export const OPTIMIZER_DEFS: OptimizerDef[] = [SGD, Adam];
