import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportModel } from '../../compiler/onnx/export.js';
import type { Agent } from '../../fleet/agent/agent.js';
import { Tensor } from '../../runtime/ort-tensor.js';
import { tensorFrom } from '../../runtime/tensor.js';
import { graph, model, node, value } from '../helpers/build.js';
import { gaussian } from './telemetry/gaussian.js';

/** `runs` inferences of a [1, 3] input drawn from N(mean, 1) per element, on one agent. */
export async function inferGaussian(agent: Agent, runs: number, seed: number, mean = 0): Promise<void> {
  const xs = gaussian(runs * 3, seed, mean);
  for (let i = 0; i < runs; i++) {
    await agent.infer({ x: new Tensor('float32', Float32Array.from(xs.subarray(i * 3, i * 3 + 3)), [1, 3]) });
  }
}

/** Like tinyOnnx but with a [1, 4] input: a version that breaks callers feeding [1, 3]. */
export function wideOnnx(): Uint8Array {
  return exportModel(
    model(
      graph({
        inputs: [value('x', 'float32', [1, 4])],
        outputs: [value('y', 'float32', [1, 2])],
        initializers: { w: tensorFrom('float32', [4, 2], [1, 0, 0, 1, 1, 1, 0, 0]) },
        nodes: [node('MatMul', ['x', 'w'], ['h'], {}, 'mm'), node('Relu', ['h'], ['y'], {}, 'act')],
      }),
    ),
  );
}

/** A local HTTP server that keeps every JSON body POSTed to it (the alert webhook's receiver). */
export async function webhookReceiver(): Promise<{
  url: string;
  received: unknown[];
  close(): Promise<void>;
}> {
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
