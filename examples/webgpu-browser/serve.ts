/**
 * A tiny static server for the example: `npx tsx examples/webgpu-browser/serve.ts [model.kiln] [--port N]`
 * serves this folder (index.html, dist/main.js) and the artifact as /model.kiln on 127.0.0.1.
 */
import { createReadStream, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_DIR } from './build.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.kiln': 'application/octet-stream',
};

export interface ExampleServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `root` (default this folder) on 127.0.0.1 (port 0: any free one), plus `files`: URL path
 * (e.g. '/model.kiln') → file on disk. Paths outside root are 404.
 */
export async function serveExample(
  options: { root?: string; files?: Record<string, string>; port?: number } = {},
): Promise<ExampleServer> {
  const root = resolve(options.root ?? EXAMPLE_DIR);
  const files = options.files ?? {};
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = files[path] ?? join(root, normalize(path === '/' ? '/index.html' : path));
    let size: number;
    try {
      if (!(path in files) && !file.startsWith(root + sep)) throw new Error('outside');
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', ok);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args.splice(portAt, 2)[1]) : 8080;
  const model = args[0];
  const served = await serveExample({ port, files: model ? { '/model.kiln': resolve(model) } : {} });
  console.log(`serving ${EXAMPLE_DIR}${model ? ` and ${model} as /model.kiln` : ''} at ${served.url}`);
}
