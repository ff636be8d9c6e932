import { nnOps } from '../../../../../compiler/reference/ops/nn/index.js';
import { describeInferConformance } from '../../../../helpers/infer-conformance.js';

describeInferConformance('nn', nnOps, 120);
