import type { Model } from '../ir/graph.js';

/** What a pass did: how many rewrites it made (0 means the model is unchanged). */
export interface PassResult {
  changed: number;
}

/**
 * A graph pass. Passes rewrite `model.graph` (the main graph) in place; subgraphs are left as they
 * are except that renamed values they capture from the main graph are renamed with it.
 */
export type Pass = (model: Model) => PassResult;

/** The domain of the ops the passes create (fused and recognised ops), with its opset version. */
export const KILN_DOMAIN = 'kiln';
export const KILN_OPSET = 1;

/** Make sure the model imports the kiln domain before a pass adds a kiln node. */
export function importKilnDomain(model: Model): void {
  if (!model.opsetImports.has(KILN_DOMAIN)) model.opsetImports.set(KILN_DOMAIN, KILN_OPSET);
}
