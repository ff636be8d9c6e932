/**
 * The activations a fused kiln op (FusedConv/FusedGemm/FusedMatMul) can apply to its result, each
 * defined as an elementwise expression of one input so the reference ops, the pattern matchers and
 * the targets share one definition.
 */
import { KilnError } from '../../runtime/errors.js';
import { type Expr, binary, constant, input, unary } from './elementwise-expr.js';

export const ACTIVATIONS = [
  'none',
  'relu',
  'clip',
  'leaky_relu',
  'hard_sigmoid',
  'hard_swish',
  'sigmoid',
  'tanh',
  'silu',
  'gelu',
  'gelu_tanh',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** How many float parameters each activation takes (`activation_params` attribute). */
const PARAM_COUNT: Record<Activation, number> = {
  none: 0,
  relu: 0,
  clip: 2, // min, max
  leaky_relu: 1, // alpha
  hard_sigmoid: 2, // alpha, beta
  hard_swish: 0,
  sigmoid: 0,
  tanh: 0,
  silu: 0,
  gelu: 0,
  gelu_tanh: 0,
};

export function isActivation(name: string): name is Activation {
  return (ACTIVATIONS as readonly string[]).includes(name);
}

/** The activation applied to input 0, as an expression; checks the parameter count. */
export function activationExpr(kind: string, params: readonly number[] = []): Expr {
  if (!isActivation(kind)) {
    throw new KilnError(`unknown activation '${kind}'`, { expected: ACTIVATIONS.join(', ') });
  }
  if (params.length !== PARAM_COUNT[kind]) {
    throw new KilnError(`activation '${kind}' has ${params.length} parameters`, {
      expected: `${PARAM_COUNT[kind]} activation_params`,
    });
  }
  const x = input(0);
  switch (kind) {
    case 'none':
      return x;
    case 'relu':
      return unary('relu', x);
    case 'clip':
      return { kind: 'clip', arg: x, min: params[0]!, max: params[1]! };
    case 'leaky_relu':
      return { kind: 'leaky_relu', arg: x, alpha: params[0]! };
    case 'hard_sigmoid':
      return { kind: 'hard_sigmoid', arg: x, alpha: params[0]!, beta: params[1]! };
    case 'hard_swish':
      return binary('mul', x, { kind: 'hard_sigmoid', arg: x, alpha: 1 / 6, beta: 0.5 });
    case 'sigmoid':
      return unary('sigmoid', x);
    case 'tanh':
      return unary('tanh', x);
    case 'silu':
      return binary('mul', x, unary('sigmoid', x));
    case 'gelu':
      // x/2 · (1 + erf(x/√2))
      return binary(
        'mul',
        binary('mul', constant(0.5), x),
        binary('add', constant(1), unary('erf', binary('mul', x, constant(Math.SQRT1_2)))),
      );
    case 'gelu_tanh': {
      // x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))
      const cube = binary('mul', constant(0.044715), binary('pow', x, constant(3)));
      const inner = binary('mul', constant(Math.sqrt(2 / Math.PI)), binary('add', x, cube));
      return binary('mul', binary('mul', constant(0.5), x), binary('add', constant(1), unary('tanh', inner)));
    }
  }
}
