// A small multi-layer perceptron, described once: layer widths, the hidden layers'
// activation, the parameterisation, biases and loss. Everything else (the flat
// parameter layout, the loop program both engines run) is derived from this.

import { Graph, differentiate } from '../expr/graph';
import { parseExpression } from '../expr/parse';
import { compileProgram, type Program } from '../expr/program';

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

/**
 * Each activation is an expression in z; its first and second derivatives come from
 * the symbolic differentiator, so the backward pass and the R-operator use exactly the
 * derivative of what the forward pass computes.
 */
export const ACTIVATIONS = {
  tanh: 'tanh(z)',
  relu: 'max(z, 0)',
  linear: 'z',
  sigmoid: 'sigmoid(z)',
  // GELU, tanh approximation (as PyTorch's approximate='tanh').
  gelu: '0.5 * z * (1 + tanh(0.7978845608028654 * (z + 0.044715 * z^3)))',
} as const;
export type Activation = keyof typeof ACTIVATIONS;
export const PARAMETERIZATIONS = ['standard', 'mean-field'] as const;
type Parameterization = (typeof PARAMETERIZATIONS)[number];
export const LOSSES = ['mse', 'softmax-ce'] as const;
type LossKind = (typeof LOSSES)[number];

/** Most parameters per network: each GPU thread keeps parameters, gradient and direction in private arrays. */
export const MAX_PARAMS = 1024;
/** Widest layer (units kept per point in private arrays). */
const MAX_WIDTH = 128;
const MAX_LAYERS = 8;

export interface ModelSpec {
  /** Input width, hidden widths..., output width. */
  widths: number[];
  activation: Activation;
  parameterization: Parameterization;
  bias: boolean;
  loss: LossKind;
  /**
   * Hidden layers compute act(gain * z). The fractal notebook uses tanh(sqrt(2) z)
   * (and relu(z) sqrt(2) = relu(sqrt(2) z)); 1 is the plain activation.
   */
  gain: number;
}

interface LayerLayout {
  fanIn: number;
  fanOut: number;
  /** Offset of W (fanIn rows of fanOut: W[i][j] at w + i*fanOut + j). */
  w: number;
  /** Offset of the bias, or -1. */
  b: number;
  /** z = scale * (h . W) + b: 1/sqrt(fanIn), or 1/fanIn for mean-field's output layer. */
  scale: number;
  /** [start, end) of this layer's parameters (W then b): one learning rate each. */
  start: number;
  end: number;
}

export interface Model {
  spec: ModelSpec;
  layers: LayerLayout[];
  params: number;
  inputs: number;
  outputs: number;
  /** The activation and its derivatives: inputs [u], outputs a, d1, d2 (d/du). */
  act: Program;
}

const DEFAULTS: Omit<ModelSpec, 'widths'> = { activation: 'tanh', parameterization: 'standard', bias: false, loss: 'mse', gain: 1 };

/** Checks a spec and derives its layout; throws ModelError naming what is wrong. */
export function buildModel(given: Partial<ModelSpec> & { widths: number[] }): Model {
  const spec: ModelSpec = { ...DEFAULTS, ...given };
  const { widths } = spec;
  if (!Array.isArray(widths) || widths.length < 2) throw new ModelError(`a model needs at least an input and an output width, got [${widths}]`);
  if (widths.length - 1 > MAX_LAYERS) throw new ModelError(`too many layers: ${widths.length - 1} > ${MAX_LAYERS}`);
  widths.forEach((w, k) => {
    if (!Number.isInteger(w) || w < 1) throw new ModelError(`width ${k} must be a whole number >= 1, got ${w}`);
    if (w > MAX_WIDTH) throw new ModelError(`width ${k} is ${w}, the widest layer allowed is ${MAX_WIDTH}`);
  });
  if (!(spec.activation in ACTIVATIONS)) throw new ModelError(`unknown activation '${spec.activation}' (known: ${Object.keys(ACTIVATIONS).join(', ')})`);
  if (!PARAMETERIZATIONS.includes(spec.parameterization))
    throw new ModelError(`unknown parameterization '${spec.parameterization}' (known: ${PARAMETERIZATIONS.join(', ')})`);
  if (!LOSSES.includes(spec.loss)) throw new ModelError(`unknown loss '${spec.loss}' (known: ${LOSSES.join(', ')})`);
  if (!Number.isFinite(spec.gain) || spec.gain <= 0) throw new ModelError(`gain must be a finite number > 0, got ${spec.gain}`);
  if (spec.loss === 'softmax-ce' && widths[widths.length - 1] < 2) throw new ModelError('softmax cross-entropy needs at least 2 outputs (one per class)');
  const layers: LayerLayout[] = [];
  let offset = 0;
  const L = widths.length - 1;
  for (let l = 0; l < L; l++) {
    const fanIn = widths[l];
    const fanOut = widths[l + 1];
    const start = offset;
    const w = offset;
    offset += fanIn * fanOut;
    const b = spec.bias ? offset : -1;
    if (spec.bias) offset += fanOut;
    const meanFieldOut = spec.parameterization === 'mean-field' && l === L - 1;
    const scale = Math.fround(meanFieldOut ? 1 / fanIn : 1 / Math.sqrt(fanIn));
    layers.push({ fanIn, fanOut, w, b, scale, start, end: offset });
  }
  if (offset > MAX_PARAMS) throw new ModelError(`too many parameters: ${offset} > ${MAX_PARAMS} per network`);
  return { spec, layers, params: offset, inputs: widths[0], outputs: widths[L], act: activationProgram(spec.activation) };
}

const actCache = new Map<Activation, Program>();

function activationProgram(a: Activation): Program {
  let p = actCache.get(a);
  if (!p) {
    const g = new Graph();
    const f = parseExpression(g, ACTIVATIONS[a].replace(/\bz\b/g, 'u'), { variables: ['u'] });
    const d1 = differentiate(g, f, 'u');
    const d2 = differentiate(g, d1, 'u');
    actCache.set(a, (p = compileProgram(['u'], { a: f, d1, d2 })));
  }
  return p;
}

/**
 * `mlp:16,16,1:tanh:mean-field` with optional further fields in any order: `bias`,
 * `ce` (softmax cross-entropy), `gain=1.41421356`.
 */
export function parseModel(text: string): Model {
  const parts = text.trim().split(':');
  if (parts[0] !== 'mlp') throw new ModelError(`a model description starts with 'mlp:', got '${text}'`);
  if (parts.length < 2 || !parts[1]) throw new ModelError(`'${text}': give the layer widths, e.g. mlp:16,16,1:tanh:mean-field`);
  const widths = parts[1].split(',').map((s) => {
    const t = s.trim();
    if (!/^\d+$/.test(t)) throw new ModelError(`'${text}': width '${s}' is not a whole number`);
    return Number(t);
  });
  const spec: Partial<ModelSpec> & { widths: number[] } = { widths };
  for (const field of parts.slice(2)) {
    const f = field.trim();
    if (f in ACTIVATIONS) spec.activation = f as Activation;
    else if ((PARAMETERIZATIONS as readonly string[]).includes(f)) spec.parameterization = f as Parameterization;
    else if (f === 'bias') spec.bias = true;
    else if (f === 'ce' || f === 'softmax-ce') spec.loss = 'softmax-ce';
    else if (f === 'mse') spec.loss = 'mse';
    else if (f.startsWith('gain=')) {
      const v = f.slice(5) === 'sqrt2' ? Math.SQRT2 : Number(f.slice(5));
      if (!Number.isFinite(v)) throw new ModelError(`'${text}': gain '${f.slice(5)}' is not a number`);
      spec.gain = v;
    } else {
      throw new ModelError(
        `'${text}': unknown field '${f}' (an activation: ${Object.keys(ACTIVATIONS).join(', ')}; standard or mean-field; bias; ce; gain=...)`,
      );
    }
  }
  return buildModel(spec);
}

/** The canonical description string of a model (parseModel's inverse). */
export function modelString(spec: ModelSpec): string {
  const extra = [spec.bias ? 'bias' : '', spec.loss === 'softmax-ce' ? 'ce' : '', spec.gain !== 1 ? `gain=${spec.gain}` : ''].filter(Boolean);
  return ['mlp', spec.widths.join(','), spec.activation, spec.parameterization, ...extra].join(':');
}
