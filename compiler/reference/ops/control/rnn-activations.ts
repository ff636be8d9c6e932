/** Activation functions named by the `activations` attribute of RNN, GRU and LSTM. */
import type { Node } from '../../../ir/graph.js';
import { attrFloats, attrStrings } from '../../../ir/attrs.js';
import { opError } from '../common.js';

export type Activation = (x: number) => number;

/**
 * For each activation: whether it consumes an entry of activation_alpha / activation_beta and the value
 * used when the list runs out. The lists are consumed in order, only by activations that take the
 * parameter (onnxruntime's reading of the spec, which the spec leaves open).
 */
const TABLE: Record<string, { alpha?: number; beta?: number; make: (a: number, b: number) => Activation }> = {
  relu: { make: () => (x) => (x > 0 ? x : 0) },
  tanh: { make: () => Math.tanh },
  sigmoid: { make: () => (x) => 1 / (1 + Math.exp(-x)) },
  affine: { alpha: 0, beta: 0, make: (a, b) => (x) => a * x + b },
  leakyrelu: { alpha: 0.01, make: (a) => (x) => (x >= 0 ? x : a * x) },
  thresholdedrelu: { alpha: 0, make: (a) => (x) => (x > a ? x : 0) },
  scaledtanh: { alpha: 0, beta: 0, make: (a, b) => (x) => a * Math.tanh(b * x) },
  hardsigmoid: { alpha: 0.2, beta: 0.5, make: (a, b) => (x) => Math.min(Math.max(a * x + b, 0), 1) },
  elu: { alpha: 1, make: (a) => (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)) },
  softsign: { make: () => (x) => x / (1 + Math.abs(x)) },
  softplus: { make: () => (x) => (x > 30 ? x : Math.log1p(Math.exp(x))) },
};

/** An activation as the attributes name it: lower-case name and its alpha/beta (0 when unused). */
export interface ActivationSpec {
  name: string;
  alpha: number;
  beta: number;
}

/**
 * The activations of each direction: `perDirection` of them per direction, taken from the
 * `activations` attribute (all forward ones first, then the reverse ones) or the op's defaults.
 */
export function activationSpecs(node: Node, defaults: string[], numDirections: number): ActivationSpec[][] {
  const perDirection = defaults.length;
  let names = attrStrings(node, 'activations', []);
  if (names.length === 0) names = Array.from({ length: numDirections }, () => defaults).flat();
  // A single direction's list for a bidirectional op is taken to apply to both directions.
  else if (names.length === perDirection && numDirections === 2) names = [...names, ...names];
  if (names.length !== perDirection * numDirections) {
    throw opError(
      node,
      `activations lists ${names.length} functions`,
      `${perDirection * numDirections} (${perDirection} per direction)`,
    );
  }
  const alphas = attrFloats(node, 'activation_alpha', []);
  const betas = attrFloats(node, 'activation_beta', []);
  let ai = 0;
  let bi = 0;
  const specs = names.map((original) => {
    const name = original.toLowerCase();
    const entry = TABLE[name];
    if (!entry) {
      throw opError(node, `unknown activation '${original}'`, `one of ${Object.keys(TABLE).join(', ')}`);
    }
    const alpha = entry.alpha === undefined ? 0 : ai < alphas.length ? alphas[ai++]! : entry.alpha;
    const beta = entry.beta === undefined ? 0 : bi < betas.length ? betas[bi++]! : entry.beta;
    return { name, alpha, beta };
  });
  return Array.from({ length: numDirections }, (_, d) =>
    specs.slice(d * perDirection, (d + 1) * perDirection),
  );
}

/** The activations of each direction as functions (see activationSpecs). */
export function readActivations(node: Node, defaults: string[], numDirections: number): Activation[][] {
  return activationSpecs(node, defaults, numDirections).map((dir) =>
    dir.map((s) => TABLE[s.name]!.make(s.alpha, s.beta)),
  );
}
