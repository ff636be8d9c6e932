/**
 * kiln.FusedConv / FusedGemm / FusedMatMul: the ONNX op (same inputs and attributes) followed by an
 * activation. FusedConv takes an optional residual Z (input 3, the conv's output shape) and
 * FusedMatMul an optional bias (input 2, broadcast one way), both added before the activation. The
 * graph passes create them; they run here so fused graphs can be checked on the reference backend.
 */
import { KilnError } from '../../../../runtime/errors.js';
import type { OpDef } from '../../op.js';
import { mapBroadcast, opError } from '../common.js';
import { convOps } from '../nn/conv.js';
import { matmulOps } from '../nn/matmul.js';
import { applyActivation } from './activation.js';

type RunnableOp = OpDef & { run: NonNullable<OpDef['run']> };

function base(defs: OpDef[], op: string): RunnableOp {
  const def = defs.find((d) => d.op === op);
  if (!def?.run) throw new KilnError(`reference op ${op} is missing`, { op });
  return def as RunnableOp;
}

/** `of` with an optional same-shape addend at input `sumInput`, then the activation. */
function fused(op: string, of: RunnableOp, sumInput?: number): OpDef {
  const own = sumInput ?? Infinity;
  return {
    op,
    domain: 'kiln',
    versions: [1, 1],
    run: (inputs, ctx) => {
      let y = of.run(inputs.slice(0, own), ctx)[0]!;
      const z = inputs[own];
      if (z) {
        if (z.dtype !== y.dtype || z.shape.join() !== y.shape.join())
          throw opError(
            ctx.node,
            `Z is ${z.dtype}[${z.shape.join(',')}] but the ${of.op} result is ${y.dtype}[${y.shape.join(',')}]`,
            'Z of the same dtype and shape as the result',
          );
        y = mapBroadcast(ctx.node, [y, z], y.dtype, (a, b) => (a as number) + (b as number));
      }
      return [applyActivation(ctx.node, y)];
    },
    infer: (ctx) =>
      of
        .infer({ ...ctx, inputs: ctx.inputs.slice(0, own), constants: ctx.constants.slice(0, own) })
        .slice(0, 1),
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
  fused('FusedConv', base(convOps, 'Conv'), 3),
  fused('FusedGemm', base(matmulOps, 'Gemm')),
  fusedMatMul,
];
