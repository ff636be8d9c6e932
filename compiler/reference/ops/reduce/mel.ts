/** MelWeightMatrix (opset 17). */
import { toNumbers } from '../../../../runtime/tensor.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { fromFloat64, outputDType } from './signal-common.js';
import { scalarInput } from './util.js';

/** MelWeightMatrix, following the ONNX reference's integer bin placement (so results match its data). */
export const melOp: OpDef = {
  op: 'MelWeightMatrix',
  versions: [17, 21],
  run: (inputs, { node }) => {
    const names = ['num_mel_bins', 'dft_length', 'sample_rate', 'lower_edge_hertz', 'upper_edge_hertz'];
    const [mels, dftLen, rate, lo, hi] = names.map((n, i) =>
      scalarInput(node, requireInput(node, inputs, i, n), n),
    ) as [number, number, number, number, number];
    if (!Number.isInteger(mels) || mels < 1)
      throw opError(node, `num_mel_bins ${mels} is invalid`, 'a positive integer');
    if (!Number.isInteger(dftLen) || dftLen < 1)
      throw opError(node, `dft_length ${dftLen} is invalid`, 'a positive integer');
    if (!(rate > 0)) throw opError(node, `sample_rate ${rate} is invalid`, 'a positive number');
    if (!(lo >= 0 && hi >= lo))
      throw opError(node, `edges ${lo}..${hi} Hz are invalid`, '0 <= lower <= upper');
    const specBins = Math.floor(dftLen / 2) + 1;
    const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
    const lowMel = toMel(lo);
    const step = (toMel(hi) - lowMel) / (mels + 2);
    const bin = Array.from({ length: mels + 2 }, (_, i) => {
      const hz = 700 * (10 ** ((i * step + lowMel) / 2595) - 1);
      return Math.floor(((dftLen + 1) * hz) / rate);
    });
    const w = new Float64Array(specBins * mels);
    const set = (j: number, i: number, v: number) => {
      if (j < 0 || j >= specBins)
        throw opError(node, `mel bin ${i} reaches spectrogram bin ${j} of ${specBins}`);
      w[j * mels + i] = v;
    };
    for (let i = 0; i < mels; i++) {
      const [l, c, h] = [bin[i]!, bin[i + 1]!, bin[i + 2]!];
      if (c === l) set(c, i, 1);
      else for (let j = l; j <= c; j++) set(j, i, (j - l) / (c - l));
      for (let j = c; j < h; j++) set(j, i, (h - j) / (h - c));
    }
    return [fromFloat64(outputDType(node), [specBins, mels], w)];
  },
  infer: (ctx) => {
    const cst = (i: number) => (ctx.constants[i]?.size === 1 ? toNumbers(ctx.constants[i]!)[0] : undefined);
    const mels = cst(0);
    const dftLen = cst(1);
    return [
      {
        dtype: outputDType(ctx.node),
        shape: [dftLen !== undefined ? Math.floor(dftLen / 2) + 1 : ctx.freshDim(), mels ?? ctx.freshDim()],
      },
    ];
  },
};
