// PyTorch's optimizers, each one definition. Formulas follow torch.optim's
// single-tensor implementations, in the same order of operations.

import type { HyperParam, OptimizerDef } from './optimizer';

const lr = (def: number): HyperParam => ({ name: 'lr', default: def, min: 0, openMin: true, doc: 'learning rate eta' });
const weightDecay: HyperParam = { name: 'weight_decay', default: 0, min: 0, doc: 'L2 penalty added to the gradient' };
const beta = (name: string, def: number, which: string): HyperParam => ({
  name,
  default: def,
  min: 0,
  max: 1,
  openMax: true,
  doc: which,
});
const eps = (def: number): HyperParam => ({ name: 'eps', default: def, min: 0, doc: 'term added to the denominator for numerical stability' });

/** lr, betas, eps and weight_decay: the parameters every Adam-family optimizer takes, in PyTorch's order. */
const adamFamily = (lrDefault: number, beta2Doc = 'second-moment decay (betas[1])'): HyperParam[] => [
  lr(lrDefault),
  beta('beta1', 0.9, 'first-moment decay (betas[0])'),
  beta('beta2', 0.999, beta2Doc),
  eps(1e-8),
  weightDecay,
];

const SGD: OptimizerDef = {
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

/** Adam's moment estimates (PyTorch's lerp form) and bias corrections, shared by Adam, AdamW and RAdam. */
const ADAM_MOMENTS = `
    w = 1 - beta1
    exp_avg = w < 0.5 ? exp_avg + w * (g - exp_avg) : g - (g - exp_avg) * (1 - w)
    exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * (g * g)
    step = t + 1
    bc1 = 1 - beta1 ^ step
    bc2 = 1 - beta2 ^ step
`;

/**
 * Adam's step after the weight-decay term, as torch.optim.Adam writes it (state names
 * too). Adam and AdamW differ only in how they apply weight decay before it.
 */
const ADAM_STEP = `${ADAM_MOMENTS}    step_size = lr / bc1
    max_exp_avg_sq = amsgrad == 1 ? max(max_exp_avg_sq, exp_avg_sq) : max_exp_avg_sq
    denom = sqrt((amsgrad == 1 ? max_exp_avg_sq : exp_avg_sq) / bc2) + eps
    p = p - step_size * (exp_avg / denom)
`;
const amsgrad: HyperParam = { name: 'amsgrad', default: 0, bool: true, doc: 'AMSGrad variant' };

const Adam: OptimizerDef = {
  name: 'Adam',
  doc: 'Adam with bias correction (PyTorch); amsgrad keeps the running maximum of the second moment.',
  hyper: [...adamFamily(1e-3), amsgrad],
  state: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
  update: `
    g = g + weight_decay * p${ADAM_STEP}`,
};

const AdamW: OptimizerDef = {
  name: 'AdamW',
  doc: 'Adam with decoupled weight decay (PyTorch): p *= 1 - lr*weight_decay, then the Adam step without the L2 term.',
  hyper: [...adamFamily(1e-3).map((h) => (h.name === 'weight_decay' ? { ...h, default: 1e-2, doc: 'decoupled weight decay coefficient' } : h)), amsgrad],
  state: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
  update: `
    p = p * (1 - lr * weight_decay)${ADAM_STEP}`,
};

const Adamax: OptimizerDef = {
  name: 'Adamax',
  doc: 'Adamax (PyTorch): Adam with the infinity norm, exp_inf = max(beta2*exp_inf, |g| + eps).',
  hyper: [...adamFamily(2e-3, 'infinity-norm decay (betas[1])')],
  state: ['exp_avg', 'exp_inf'],
  update: `
    g = g + weight_decay * p
    w = 1 - beta1
    exp_avg = w < 0.5 ? exp_avg + w * (g - exp_avg) : g - (g - exp_avg) * (1 - w)
    exp_inf = max(exp_inf * beta2, abs(g) + eps)
    clr = lr / (1 - beta1 ^ (t + 1))
    p = p - clr * (exp_avg / exp_inf)
  `,
};

const NAdam: OptimizerDef = {
  name: 'NAdam',
  doc: 'Adam with Nesterov momentum (PyTorch NAdam, with the momentum-decay schedule mu_t).',
  hyper: [...adamFamily(2e-3), { name: 'momentum_decay', default: 4e-3, min: 0, doc: 'momentum decay psi in mu_t = beta1 (1 - 0.5 * 0.96^(t psi))' }],
  state: ['exp_avg', 'exp_avg_sq', 'mu_product'],
  update: `
    g = g + weight_decay * p
    step = t + 1
    bc2 = 1 - beta2 ^ step
    mu = beta1 * (1 - 0.5 * 0.96 ^ (step * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ^ ((step + 1) * momentum_decay))
    mu_product = t == 0 ? mu : mu_product * mu
    w = 1 - beta1
    exp_avg = w < 0.5 ? exp_avg + w * (g - exp_avg) : g - (g - exp_avg) * (1 - w)
    exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * (g * g)
    denom = sqrt(exp_avg_sq / bc2) + eps
    p = p - lr * (1 - mu) / (1 - mu_product) * (g / denom)
    p = p - lr * mu_next / (1 - mu_product * mu_next) * (exp_avg / denom)
  `,
};

const RAdam: OptimizerDef = {
  name: 'RAdam',
  doc: 'Rectified Adam (PyTorch): momentum SGD until the variance estimate is tractable (rho_t > 5), then rectified Adam.',
  hyper: [...adamFamily(1e-3)],
  state: ['exp_avg', 'exp_avg_sq'],
  update: `
    g = g + weight_decay * p${ADAM_MOMENTS}    corrected = exp_avg / bc1
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * beta2 ^ step / bc2
    rho_c = max(rho_t, 5)
    rect = sqrt((rho_c - 4) * (rho_c - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_c))
    adaptive = sqrt(bc2) / (sqrt(exp_avg_sq) + eps)
    p = rho_t > 5 ? p - corrected * lr * adaptive * rect : p - corrected * lr
  `,
};

const Adagrad: OptimizerDef = {
  name: 'Adagrad',
  doc: 'Adagrad (PyTorch): per-coordinate step lr / sqrt(sum of squared gradients), with optional lr decay.',
  hyper: [
    lr(1e-2),
    { name: 'lr_decay', default: 0, min: 0, doc: 'learning-rate decay: clr = lr / (1 + (step - 1) lr_decay)' },
    weightDecay,
    { name: 'initial_accumulator_value', default: 0, min: 0, doc: 'starting value of the sum of squares' },
    eps(1e-10),
  ],
  state: ['sum'],
  update: `
    g = g + weight_decay * p
    clr = lr / (1 + t * lr_decay)
    sum = (t == 0 ? initial_accumulator_value : sum) + g * g
    p = p - clr * (g / (sqrt(sum) + eps))
  `,
};

const RMSprop: OptimizerDef = {
  name: 'RMSprop',
  doc: 'RMSprop (PyTorch): g / sqrt(running mean of g^2); centered subtracts the squared mean gradient; optional momentum.',
  hyper: [
    lr(1e-2),
    { name: 'alpha', default: 0.99, min: 0, max: 1, doc: 'smoothing constant of the squared-gradient average' },
    eps(1e-8),
    weightDecay,
    { name: 'momentum', default: 0, min: 0, doc: 'momentum factor' },
    { name: 'centered', default: 0, bool: true, doc: 'normalize by the estimated variance of the gradient' },
  ],
  state: ['square_avg', 'grad_avg', 'momentum_buffer'],
  update: `
    g = g + weight_decay * p
    square_avg = square_avg * alpha + (1 - alpha) * (g * g)
    w = 1 - alpha
    grad_avg = centered == 1 ? (w < 0.5 ? grad_avg + w * (g - grad_avg) : g - (g - grad_avg) * (1 - w)) : grad_avg
    avg = (centered == 1 ? sqrt(square_avg - grad_avg * grad_avg) : sqrt(square_avg)) + eps
    momentum_buffer = momentum > 0 ? momentum_buffer * momentum + g / avg : momentum_buffer
    p = momentum > 0 ? p - lr * momentum_buffer : p - lr * (g / avg)
  `,
};

const Adadelta: OptimizerDef = {
  name: 'Adadelta',
  doc: 'Adadelta (PyTorch): step sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g, both running averages with rho; lr scales it (default 1).',
  hyper: [lr(1.0), { name: 'rho', default: 0.9, min: 0, max: 1, doc: 'coefficient of the running averages' }, eps(1e-6), weightDecay],
  state: ['square_avg', 'acc_delta'],
  // sqrt(a) / sqrt(b) is written sqrt(a / b): GPU compilers turn x / sqrt(y) into
  // x * rsqrt(y), an approximation, so the quotient goes under one square root.
  update: `
    g = g + weight_decay * p
    square_avg = square_avg * rho + (1 - rho) * (g * g)
    delta = sqrt((acc_delta + eps) / (square_avg + eps)) * g
    acc_delta = acc_delta * rho + (1 - rho) * (delta * delta)
    p = p - lr * delta
  `,
};

const Lion: OptimizerDef = {
  name: 'Lion',
  doc: 'Lion (Chen et al. 2023; lion-pytorch, not in torch.optim): sign of an interpolated momentum, decoupled weight decay.',
  hyper: [
    lr(1e-4),
    { name: 'beta1', default: 0.9, min: 0, max: 1, doc: 'interpolation weight of the update direction (betas[0])' },
    { name: 'beta2', default: 0.99, min: 0, max: 1, doc: 'momentum decay (betas[1])' },
    { name: 'weight_decay', default: 0, min: 0, doc: 'decoupled weight decay coefficient' },
  ],
  state: ['exp_avg'],
  update: `
    c = beta1 * exp_avg + (1 - beta1) * g
    p = p * (1 - lr * weight_decay) - lr * sign(c)
    exp_avg = beta2 * exp_avg + (1 - beta2) * g
  `,
};

const SignSGD: OptimizerDef = {
  name: 'SignSGD',
  aliases: ['sign'],
  doc: 'Sign descent (beyond PyTorch): p -= lr * sign(g), a step of exactly lr per coordinate; no state.',
  hyper: [lr(1e-3)],
  state: [],
  update: `
    p = p - lr * sign(g)
  `,
};

export const OPTIMIZER_DEFS: OptimizerDef[] = [SGD, Adam, AdamW, Adamax, NAdam, RAdam, Adagrad, RMSprop, Adadelta, Lion, SignSGD];
