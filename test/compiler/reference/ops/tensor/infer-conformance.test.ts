import { tensorOps } from '../../../../../compiler/reference/ops/tensor/index.js';
import { describeInferConformance } from '../../../../helpers/infer-conformance.js';

describeInferConformance('tensor', tensorOps, 100);
