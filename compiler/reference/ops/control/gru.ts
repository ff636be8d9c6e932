/** GRU (opset 1-22; layout from 14): gates in zrh order, linear_before_reset chooses where r applies. */
import { attrInt } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { readActivations } from './rnn-activations.js';
import { clipTo, inferRecurrent, matVec, packOutputs, readProblem, runSequence } from './rnn-common.js';

export const gruOp: OpDef = {
  op: 'GRU',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const p = readProblem(node, inputs, 3, false);
    const H = p.hidden;
    const acts = readActivations(node, ['Sigmoid', 'Tanh'], p.numDirections);
    const linearBeforeReset = attrInt(node, 'linear_before_reset', 0) !== 0;
    const gx = new Float64Array(3 * H);
    const gh = new Float64Array(3 * H);
    const rh = new Float64Array(H);
    const hh = new Float64Array(H);
    const z = new Float64Array(H);
    const r = new Float64Array(H);
    const run = runSequence(p, (d, x, xOff, h) => {
      const [f, g] = acts[d]!;
      const wb = d * 6 * H;
      const rb = wb + 3 * H;
      matVec(p.w, d * 3 * H * p.inputSize, 3 * H, p.inputSize, x, xOff, gx);
      // z and r (and h when linear_before_reset) use R·h directly
      matVec(p.r, d * 3 * H * H, 3 * H, H, h, 0, gh);
      for (let j = 0; j < H; j++) {
        z[j] = f!(clipTo(gx[j]! + gh[j]! + p.b[wb + j]! + p.b[rb + j]!, p.clip));
        r[j] = f!(clipTo(gx[H + j]! + gh[H + j]! + p.b[wb + H + j]! + p.b[rb + H + j]!, p.clip));
      }
      if (linearBeforeReset) {
        for (let j = 0; j < H; j++) {
          const pre = gx[2 * H + j]! + r[j]! * (gh[2 * H + j]! + p.b[rb + 2 * H + j]!) + p.b[wb + 2 * H + j]!;
          hh[j] = g!(clipTo(pre, p.clip));
        }
      } else {
        for (let j = 0; j < H; j++) rh[j] = r[j]! * h[j]!;
        matVec(p.r, d * 3 * H * H + 2 * H * H, H, H, rh, 0, gh);
        for (let j = 0; j < H; j++) {
          const pre = gx[2 * H + j]! + gh[j]! + p.b[rb + 2 * H + j]! + p.b[wb + 2 * H + j]!;
          hh[j] = g!(clipTo(pre, p.clip));
        }
      }
      for (let j = 0; j < H; j++) h[j] = (1 - z[j]!) * hh[j]! + z[j]! * h[j]!;
    });
    return packOutputs(p, run.y, [run.yh]);
  },
  infer: (ctx) => inferRecurrent(ctx, 3, 1),
};
