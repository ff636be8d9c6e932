/** RNN (opset 1-22; layout from 14): Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb). */
import type { OpDef } from '../../op.js';
import { readActivations } from './rnn-activations.js';
import { clipTo, inferRecurrent, matVec, packOutputs, readProblem, runSequence } from './rnn-common.js';

export const rnnOp: OpDef = {
  op: 'RNN',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const p = readProblem(node, inputs, 1, false);
    const H = p.hidden;
    const acts = readActivations(node, ['Tanh'], p.numDirections);
    const gx = new Float64Array(H);
    const gh = new Float64Array(H);
    const run = runSequence(p, (d, x, xOff, h) => {
      const f = acts[d]![0]!;
      matVec(p.w, d * H * p.inputSize, H, p.inputSize, x, xOff, gx);
      matVec(p.r, d * H * H, H, H, h, 0, gh);
      const wb = d * 2 * H;
      for (let j = 0; j < H; j++) h[j] = f(clipTo(gx[j]! + gh[j]! + p.b[wb + j]! + p.b[wb + H + j]!, p.clip));
    });
    return packOutputs(p, run.y, [run.yh]);
  },
  infer: (ctx) => inferRecurrent(ctx, 1, 1),
};
