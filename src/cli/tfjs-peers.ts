// The TensorFlow.js peers of `npm run bench` (issues 11 and 14): the same training the
// engines run, written as a TF.js user would, on TF.js's WebGPU backend bound to the
// engine's own Dawn device. TF.js is a devDependency: it is imported here only when a
// peer runs (dynamic import), never by the rest of the command line.

import type * as TF from '@tensorflow/tfjs-core';
import type { Dataset } from '../core/nn/data';
import type { Activation, Model } from '../core/nn/model';
import type { DeviceHandle } from '../gpu/device';

export type Tf = typeof TF;

/**
 * TF.js on WebGPU on `handle`'s device. The backend's constructor asks for navigator.gpu
 * (Node 20 has no navigator): a Dawn GPU object from the `webgpu` package stands in; the
 * backend itself runs on the engine's device, not on one of its own.
 */
export async function tfjsOn(handle: DeviceHandle): Promise<Tf> {
  const { create } = await import('webgpu');
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  g.navigator ??= {};
  g.navigator.gpu ??= create([]);
  const tf = await import('@tensorflow/tfjs-core');
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(handle.device), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js could not start its WebGPU backend');
  return tf;
}

/** Releases TF.js's buffers (the device stays the caller's). */
export function tfjsClose(tf: Tf): void {
  tf.disposeVariables();
  tf.removeBackend('webgpu');
}

/**
 * Plain GD on Rosenbrock, f = (1 - x)^2 + 100 (y - x^2)^2, for n particles at once, one
 * learning rate each: one op per term of the gradient, tf.tidy per step.
 */
export function tfjsRosenbrockGD(tf: Tf, start: [number, number], lr: Float32Array) {
  const n = lr.length;
  const eta = tf.tensor1d(lr);
  const x = tf.variable(tf.fill([n], start[0]));
  const y = tf.variable(tf.fill([n], start[1]));
  return {
    n,
    step(): void {
      tf.tidy(() => {
        const d = tf.sub(y, tf.square(x)); // y - x^2
        const gx = tf.sub(tf.mul(tf.sub(x, 1), 2), tf.mul(tf.mul(x, d), 400)); // 2 (x - 1) - 400 x d
        const gy = tf.mul(d, 200);
        x.assign(tf.sub(x, tf.mul(eta, gx)));
        y.assign(tf.sub(y, tf.mul(eta, gy)));
      });
    },
    /** Waits for every queued step: the data of a one-number reduction. */
    async finish(): Promise<number> {
      const s = tf.tidy(() => tf.sum(tf.add(x, y)));
      const v = (await s.data())[0];
      s.dispose();
      return v;
    },
    async read(): Promise<{ x: Float32Array; y: Float32Array }> {
      return { x: (await x.data()) as Float32Array, y: (await y.data()) as Float32Array };
    },
    dispose(): void {
      for (const t of [eta, x, y]) t.dispose();
    },
  };
}

/** Each activation and its derivative in terms of u = gain z and a = act(u). */
const ACT: Partial<Record<Activation, { f: (tf: Tf, u: TF.Tensor) => TF.Tensor; d: (tf: Tf, u: TF.Tensor, a: TF.Tensor) => TF.Tensor | number }>> = {
  tanh: { f: (tf, u) => tf.tanh(u), d: (tf, _u, a) => tf.sub(1, tf.square(a)) },
  relu: { f: (tf, u) => tf.relu(u), d: (tf, u) => tf.step(u) },
  sigmoid: { f: (tf, u) => tf.sigmoid(u), d: (tf, _u, a) => tf.mul(a, tf.sub(1, a)) },
  linear: { f: (_tf, u) => u, d: () => 1 },
};

/**
 * N networks of one architecture trained at once by full-batch GD with one learning rate
 * per network per layer: each layer one batched matmul ([N, points, fanIn] x [N, fanIn,
 * fanOut], the data broadcast over the batch) forward and two backward (the weights'
 * gradient, and the layer below's), hand backpropagation (tfjs-core alone registers no
 * gradients; the full tfjs package would, for tf.grads). The model's definition: z =
 * scale (h . W), hidden layers act(gain z), MSE over points and outputs. `theta`: N x
 * params (the model's flat layout); `lrLayers[l]`: the N learning rates of layer l.
 */
export function tfjsNetworks(tf: Tf, model: Model, data: Dataset, theta: Float32Array, lrLayers: Float32Array[]) {
  const act = ACT[model.spec.activation];
  if (!act) throw new Error(`the TensorFlow.js peer has no ${model.spec.activation} activation`);
  if (model.spec.bias || model.spec.loss !== 'mse') throw new Error('the TensorFlow.js peer trains MSE networks without biases');
  const N = theta.length / model.params;
  const L = model.layers.length;
  const gain = model.spec.gain;
  const X = tf.tensor3d(data.x, [1, data.n, data.d]);
  const Y = tf.tensor3d(data.y, [1, data.n, data.o]);
  const W = model.layers.map((ly) => {
    const w = new Float32Array(N * ly.fanIn * ly.fanOut);
    const size = ly.fanIn * ly.fanOut;
    for (let i = 0; i < N; i++) w.set(theta.subarray(i * model.params + ly.w, i * model.params + ly.w + size), i * size);
    return tf.variable(tf.tensor3d(w, [N, ly.fanIn, ly.fanOut]));
  });
  const eta = lrLayers.map((lr) => tf.tensor3d(lr, [N, 1, 1]));
  /** Each layer's input h (X first), pre-activation u = gain z of the hidden layers, and the output. */
  const forward = () => {
    const h: TF.Tensor3D[] = [X];
    const u: TF.Tensor3D[] = [];
    let f = X;
    model.layers.forEach((ly, l) => {
      const z = tf.mul(tf.matMul(h[l], W[l]), ly.scale) as TF.Tensor3D;
      if (l === L - 1) f = z;
      else {
        u.push(tf.mul(z, gain));
        h.push(act.f(tf, u[l]) as TF.Tensor3D);
      }
    });
    return { h, u, f };
  };
  /** Each network's mean squared error, [N]. */
  const losses = (f: TF.Tensor) => tf.mean(tf.square(tf.sub(f, Y)), [1, 2]);
  return {
    n: N,
    step(): void {
      tf.tidy(() => {
        const { h, u, f } = forward();
        // dLoss/dz of the output layer, then layer by layer down.
        let dz = tf.mul(tf.sub(f, Y), 2 / (data.n * data.o)) as TF.Tensor3D;
        const grads: TF.Tensor[] = [];
        for (let l = L - 1; l >= 0; l--) {
          const sd = tf.mul(dz, model.layers[l].scale) as TF.Tensor3D;
          grads[l] = tf.matMul(h[l], sd, true, false);
          if (l > 0) dz = tf.mul(tf.matMul(sd, W[l], false, true), tf.mul(act.d(tf, u[l - 1], h[l]), gain)) as TF.Tensor3D;
        }
        W.forEach((w, l) => w.assign(tf.sub(w, tf.mul(eta[l], grads[l]))));
      });
    },
    /** Each network's loss at its current weights. */
    async losses(): Promise<Float32Array> {
      const t = tf.tidy(() => losses(forward().f));
      const v = (await t.data()) as Float32Array;
      t.dispose();
      return v;
    },
    /** Waits for every queued step: the data of a one-number reduction. */
    async finish(): Promise<number> {
      const s = tf.tidy(() => tf.addN(W.map((w) => tf.sum(w))));
      const v = (await s.data())[0];
      s.dispose();
      return v;
    },
    dispose(): void {
      for (const t of [X, Y, ...W, ...eta]) t.dispose();
    },
  };
}
