/**
 * The WebGPU example page (examples/webgpu-browser/) in headless Chromium: compile models for webgpu,
 * serve the page and the artifacts on 127.0.0.1, let the page run them on navigator.gpu (SwiftShader
 * without a GPU) and compare what it reports on `window.kilnResult` with onnxruntime-node.
 * Skipped with a message when /usr/bin/chromium is absent (.ci/run installs it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTensors } from '../../compiler/conformance/compare.js';
import { loadModel } from '../../compiler/onnx/import.js';
import { exportModel } from '../../compiler/onnx/export.js';
import type { Model } from '../../compiler/ir/graph.js';
import { randomTensor, seededRandom } from '../../runtime/prng.js';
import { Tensor } from '../../runtime/tensor.js';
import { compileWebGpu, webGpuArtifact } from '../../targets/webgpu/compile.js';
import { buildExample } from '../../examples/webgpu-browser/build.js';
import { type ExampleServer, serveExample } from '../../examples/webgpu-browser/serve.js';
import { graph, int, ints, model, node, value } from '../helpers/build.js';
import { runOrt } from '../helpers/ort.js';
import { randomFloat32 } from '../helpers/random.js';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js';
import { TORCH_MODELS, hasTorchModels } from '../helpers/paths.js';

const TOL = { rtol: 1e-3, atol: 1e-3 };
const SQUEEZENET = join(TORCH_MODELS, 'squeezenet1_1.onnx');
/**
 * squeezenet1_1 takes ~50 s in SwiftShader (~40 s of it compiling pipelines, in a fresh profile every
 * launch), so it runs only with KILN_BROWSER_CORPUS=1; the small CNN covers the same shader kinds.
 */
const withSqueezenet = process.env.KILN_BROWSER_CORPUS === '1' && hasTorchModels && existsSync(SQUEEZENET);
const squeezenetNote = withSqueezenet
  ? 'runs squeezenet1_1; output matches onnxruntime-node'
  : `squeezenet1_1 (skipped: needs KILN_BROWSER_CORPUS=1 and ${SQUEEZENET})`;

interface PageValue {
  type: string;
  dims: number[];
  data: number[];
}
type PageResult =
  | {
      ok: true;
      adapter: Record<string, string>;
      createMs: number;
      firstRunMs: number;
      runMs: number;
      inputs: Record<string, PageValue>;
      outputs: Record<string, PageValue>;
    }
  | { ok: false; reason: string; message: string };

/** conv 3×3 → relu → global average pool → flatten → gemm → softmax: GEMM and loop-kernel shaders, two outputs. */
function smallCnn(): Model {
  return model(
    graph({
      inputs: [value('x', 'float32', [1, 3, 8, 8])],
      outputs: [value('logits', 'float32', [1, 5]), value('probs', 'float32', [1, 5])],
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c'], { pads: ints([1, 1, 1, 1]), kernel_shape: ints([3, 3]) }),
        node('Relu', ['c'], ['r']),
        node('GlobalAveragePool', ['r'], ['p']),
        node('Flatten', ['p'], ['f'], { axis: int(1) }),
        node('Gemm', ['f', 'w2', 'b2'], ['logits']),
        node('Softmax', ['logits'], ['probs'], { axis: int(-1) }),
      ],
      initializers: {
        w1: randomFloat32([4, 3, 3, 3], 1),
        b1: randomFloat32([4], 2),
        w2: randomFloat32([4, 5], 3, -2, 2),
        b2: randomFloat32([5], 4),
      },
    }),
  );
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'webgpu example page in headless Chromium'
    : `webgpu example page (skipped: ${CHROMIUM} not found)`,
  () => {
    let dir: string;
    let server: ExampleServer;
    let browser: Browser;
    const onnx: Record<string, Uint8Array> = {};

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kiln-webgpu-page-'));
      const bundle = await buildExample(join(dir, 'dist'));
      const small = smallCnn();
      onnx['small.kiln'] = exportModel(small);
      writeFileSync(join(dir, 'small.kiln'), await webGpuArtifact(compileWebGpu(small)));
      const files: Record<string, string> = {
        '/dist/main.js': bundle,
        '/dist/main.js.map': `${bundle}.map`,
        '/small.kiln': join(dir, 'small.kiln'),
      };
      if (withSqueezenet) {
        const source = readFileSync(SQUEEZENET);
        onnx['squeezenet.kiln'] = source;
        const bytes = await webGpuArtifact(compileWebGpu(loadModel(SQUEEZENET)), { sourceBytes: source });
        writeFileSync(join(dir, 'squeezenet.kiln'), bytes);
        files['/squeezenet.kiln'] = join(dir, 'squeezenet.kiln');
      }
      server = await serveExample({ files });
      browser = await launchChromium(['--enable-unsafe-webgpu']);
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Opens the page with `query`, waits for window.kilnResult; page errors go into the failure message. */
    async function openPage(
      query: string,
      options: { timeout?: number; hideWebGpu?: boolean } = {},
    ): Promise<{ result: PageResult; status: string; errors: string[] }> {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      try {
        if (options.hideWebGpu) {
          await page.addInitScript(
            'Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined })',
          );
        }
        await page.goto(`${server.url}${query}`);
        await page.waitForFunction('window.kilnResult !== undefined', undefined, {
          timeout: options.timeout ?? 60_000,
          polling: 100,
        });
        const result = (await page.evaluate('window.kilnResult')) as PageResult;
        const status = (await page.textContent('#status')) ?? '';
        return { result, status, errors };
      } finally {
        await page.close();
      }
    }

    /** The page's outputs for `artifact` on seed `seed` match onnxruntime-node on the same input. */
    async function checkAgainstOrt(artifact: string, seed: number, timeout: number): Promise<void> {
      const { result, status, errors } = await openPage(`?model=${artifact}&seed=${seed}`, { timeout });
      expect(result, `page status: ${status}; errors: ${errors.join(' | ')}`).toMatchObject({ ok: true });
      if (!result.ok) return;
      expect(status).toMatch(/^done/);
      expect(result.adapter.vendor, 'the adapter the page reports').toBeTruthy();
      // the page's seeded input is the one `kiln run --seed` makes
      const rng = seededRandom(seed);
      const feeds: Record<string, Tensor> = {};
      for (const [name, v] of Object.entries(result.inputs)) {
        const expected = randomTensor('float32', v.dims, rng);
        expect(v.data, `input ${name}`).toEqual(Array.from(expected.data as Float32Array));
        feeds[name] = expected;
      }
      const ort = await runOrt(onnx[artifact]!, feeds);
      expect(Object.keys(result.outputs).sort()).toEqual(Object.keys(ort).sort());
      for (const [name, v] of Object.entries(result.outputs)) {
        const ours = new Tensor('float32', v.dims, Float32Array.from(v.data));
        expect(compareTensors(ours, ort[name]!, TOL), `output ${name}`).toBeUndefined();
      }
      expect(result.runMs).toBeGreaterThan(0);
      console.log(
        `${artifact} in Chromium ${browser.version()} on ${JSON.stringify(result.adapter)}: create ` +
          `${result.createMs.toFixed(0)} ms, first run ${result.firstRunMs.toFixed(0)} ms, run ${result.runMs.toFixed(1)} ms`,
      );
    }

    it('runs a small CNN on navigator.gpu; outputs match onnxruntime-node', async () => {
      await checkAgainstOrt('small.kiln', 7, 60_000);
    });

    it.skipIf(!withSqueezenet)(
      squeezenetNote,
      async () => {
        await checkAgainstOrt('squeezenet.kiln', 3, 120_000);
      },
      180_000,
    );

    it('says on the page when navigator.gpu is missing', async () => {
      const { result, status } = await openPage('?model=small.kiln', { hideWebGpu: true });
      expect(result).toMatchObject({ ok: false, reason: 'no-webgpu' });
      expect(status).toMatch(/WebGPU is not available in this browser \(navigator\.gpu is missing\)/);
    });

    it('reports an artifact it cannot fetch', async () => {
      const { result, status } = await openPage('?model=missing.kiln');
      expect(result).toMatchObject({ ok: false, reason: 'error' });
      expect(status).toMatch(/HTTP 404/);
    });
  },
);
