import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { KilnError } from '../../runtime/errors.js';

/** Studio's page, scripts and styles: plain ES modules, served as they are (no build step). */
export const STUDIO_WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));
/** uPlot's ES module and stylesheet, served from node_modules. */
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
const UPLOT_FILES = new Set(['/uPlot.esm.js', '/uPlot.min.css']);

/**
 * The pages only hold code: data comes from the APIs with the bearer token the user types in, kept
 * in sessionStorage. Scripts load only from this origin (no inline script), and no page may be framed
 * or send a Referer, so a token cannot leak through a third party.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** Where the fleet server mounts Studio. */
export const STUDIO_PATH = '/studio';

/** Studio, the fleet dashboard: register with `{ prefix: STUDIO_PATH }`. */
export const studio: FastifyPluginAsync = async (app) => {
  if (!existsSync(join(STUDIO_WEB_DIR, 'index.html'))) {
    throw new KilnError(`Studio's web files are missing from ${STUDIO_WEB_DIR}`, {
      expected: 'a build that copies fleet/studio/web (npm run build does)',
    });
  }
  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  // relative links in the page need the trailing slash
  app.get('', async (_req, reply) => reply.redirect(`${app.prefix}/`));
  await app.register(fastifyStatic, {
    root: STUDIO_WEB_DIR,
    prefix: '/',
    // the files change with the server's version; revalidate rather than serve a stale app
    cacheControl: true,
    maxAge: 0,
  });
  await app.register(fastifyStatic, {
    root: UPLOT_DIR,
    prefix: '/vendor/uplot/',
    decorateReply: false,
    allowedPath: (path) => UPLOT_FILES.has(path),
    maxAge: 3600_000,
  });
};
