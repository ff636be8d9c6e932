/**
 * Another round of the unrolling passes, for what only the first round made static: a Loop whose trip
 * count is a sequence's length (the expanded form of SequenceMap), an If whose condition is an
 * OptionalHasElement, sequence positions that were Loop iteration numbers, and the recurrences and
 * Scans that an If inlined only then brought to the top level (silero-vad's LSTM sits in a
 * sample-rate If). Runs only while such nodes remain, so models without them pay nothing.
 */
import type { Model } from '../ir/graph.js';
import { foldConstants } from './constant-folding.js';
import { inlineConstantIfs } from './if-inlining.js';
import { unrollLoops } from './loop-unrolling.js';
import { unrollRecurrent } from './recurrent-unrolling.js';
import { unrollScans } from './scan-unrolling.js';
import type { PassResult } from './pass.js';
import { resolveSequences } from './sequence-resolution.js';
import { foldShapeComputations } from './shape-folding.js';

/** Ops the unrolling passes may still resolve once more of the graph is constant. */
const UNRESOLVED = new Set([
  'Loop',
  'If',
  'SequenceEmpty',
  'SequenceConstruct',
  'SequenceInsert',
  'SequenceErase',
  'SequenceAt',
  'SequenceLength',
  'SequenceMap',
  'SplitToSequence',
  'ConcatFromSequence',
  'Optional',
  'OptionalHasElement',
  'OptionalGetElement',
  'Scan',
  'LSTM',
  'GRU',
  'RNN',
]);

/** Each round can resolve one more level of nesting; four covers the conformance models' depth. */
const MAX_ROUNDS = 4;

export function unrollAgain(model: Model): PassResult {
  const pending = () => model.graph.nodes.some((n) => n.domain === '' && UNRESOLVED.has(n.op));
  let changed = 0;
  for (let round = 0; round < MAX_ROUNDS && pending(); round++) {
    let c = 0;
    for (const pass of [
      unrollLoops,
      unrollScans,
      unrollRecurrent,
      resolveSequences,
      foldConstants,
      foldShapeComputations,
      inlineConstantIfs,
    ])
      c += pass(model).changed;
    if (!c) break;
    changed += c;
  }
  return { changed };
}
