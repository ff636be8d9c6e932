/** LSTM (opset 1-22; layout from 14; opset 1-6 output_sequence only says whether Y is wanted): gates in iofc order, optional peepholes P in iof order. */
import { attrInt } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { opError } from '../common.js';
import { readActivations } from './rnn-activations.js';
import { clipTo, inferRecurrent, matVec, packOutputs, readProblem, runSequence } from './rnn-common.js';

export const lstmOp: OpDef = {
  op: 'LSTM',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const p = readProblem(node, inputs, 4, true);
    const H = p.hidden;
    const acts = readActivations(node, ['Sigmoid', 'Tanh', 'Tanh'], p.numDirections);
    const inputForget = attrInt(node, 'input_forget', 0) !== 0;
    let peep: Float64Array | undefined;
    const P = inputs[7];
    if (P) {
      if (P.rank !== 2 || P.shape[0] !== p.numDirections || P.shape[1] !== 3 * H) {
        throw opError(node, `P has shape [${P.shape.join(',')}]`, `[${p.numDirections},${3 * H}]`);
      }
      peep = Float64Array.from(P.data as Float32Array);
    }
    const gx = new Float64Array(4 * H);
    const gh = new Float64Array(4 * H);
    const gate = new Float64Array(4 * H);
    const run = runSequence(p, (d, x, xOff, h, c) => {
      const [f, g, hAct] = acts[d]!;
      matVec(p.w, d * 4 * H * p.inputSize, 4 * H, p.inputSize, x, xOff, gx);
      matVec(p.r, d * 4 * H * H, 4 * H, H, h, 0, gh);
      const bOff = d * 8 * H;
      for (let j = 0; j < 4 * H; j++) gate[j] = gx[j]! + gh[j]! + p.b[bOff + j]! + p.b[bOff + 4 * H + j]!;
      const pOff = d * 3 * H;
      for (let j = 0; j < H; j++) {
        const cPrev = c[j]!;
        const pi = peep ? peep[pOff + j]! * cPrev : 0;
        const pf = peep ? peep[pOff + 2 * H + j]! * cPrev : 0;
        const i = f!(clipTo(gate[j]! + pi, p.clip));
        const fg = inputForget ? 1 - i : f!(clipTo(gate[2 * H + j]! + pf, p.clip));
        const cc = g!(clipTo(gate[3 * H + j]! + 0, p.clip));
        const cNew = fg * cPrev + i * cc;
        const po = peep ? peep[pOff + H + j]! * cNew : 0;
        const o = f!(clipTo(gate[H + j]! + po, p.clip));
        c[j] = cNew;
        h[j] = o * hAct!(cNew);
      }
    });
    return packOutputs(p, run.y, [run.yh, run.yc]);
  },
  infer: (ctx) => inferRecurrent(ctx, 4, 2),
};
