/**
 * kiln.FusedConv / FusedGemm / FusedMatMul: the ONNX op (same inputs and attributes) followed by an
 * activation; FusedMatMul also takes an optional bias (input 2) added before the activation. The
 * graph passes create them; they run here so fused graphs can be checked on the reference backend.
 */
import { KilnError } from '../../../../runtime/errors.js';
import type { OpDef } from '../../op.js';
import { mapBroadcast, opError } from '../common.js';
import { convOps } from '../nn/conv.js';
import { matmulOps } from '../nn/matmul.js';
import { applyActivation } from './activation.js';

function base(defs: OpDef[], op: string): OpDef & { run: NonNullable<OpDef['run']> } {
  const def = defs.find((d) => d.op === op);
  if (!def?.run) throw new KilnError(`reference op ${op} is missing`, { op });
  return def as OpDef & { run: NonNullable<OpDef['run']> };
}

function fused(op: string, of: OpDef & { run: NonNullable<OpDef['run']> }): OpDef {
  return {
    op,
    domain: 'kiln',
    versions: [1, 1],
    run: (inputs, ctx) => [applyActivation(ctx.node, of.run(inputs, ctx)[0]!)],
    infer: (ctx) => of.infer(ctx).slice(0, 1),
  };
}

const matMul = base(matmulOps, 'MatMul');

const fusedMatMul: OpDef = {
  op: 'FusedMatMul',
  domain: 'kiln',
  versions: [1, 1],
  run: (inputs, ctx) => {
    let y = matMul.run(inputs.slice(0, 2), ctx)[0]!;
    const bias = inputs[2];
    if (bias) {
      const ok =
        bias.rank <= y.rank && bias.shape.every((d, i) => d === 1 || d === y.shape[y.rank - bias.rank + i]);
      if (!ok || bias.dtype !== y.dtype)
        throw opError(
          ctx.node,
          `bias ${bias.dtype}[${bias.shape.join(',')}] does not broadcast onto the product ${y.dtype}[${y.shape.join(',')}]`,
          'a bias of the product dtype broadcasting one way onto it',
        );
      y = mapBroadcast(ctx.node, [y, bias], y.dtype, (a, b) => (a as number) + (b as number));
    }
    return [applyActivation(ctx.node, y)];
  },
  infer: (ctx) =>
    matMul.infer({ ...ctx, inputs: ctx.inputs.slice(0, 2), constants: ctx.constants.slice(0, 2) }),
};

export const fusedOps: OpDef[] = [
  fused('FusedConv', base(convOps, 'Conv')),
  fused('FusedGemm', base(matmulOps, 'Gemm')),
  fusedMatMul,
];
