#!/usr/bin/env node
// The page's static server: node:http, no dependencies. Serves the repository's web/ and wasm/
// (so that web/ imports ../wasm/index.js like any user) and nothing else; / redirects to /web/.
//   node web/serve.js                 http://127.0.0.1:8080/
//   PORT=0 HOST=0.0.0.0 node web/serve.js
// Tests import startServer() and listen on port 0; test/threads.test.js also has it serve the
// threads test page that build.sh writes to build/threads/web.

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVED = ['web', 'wasm']; // the directories a browser may read, from the repository's root
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.rep': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
// Cross-origin isolation gives performance.now() fine resolution for the ops/s column, and the
// Programs view the SharedArrayBuffer its program's worker waits on.
const HEADERS = {
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'X-Content-Type-Options': 'nosniff',
};

/** The file a URL path names, or null when it lies outside the served directories. */
function fileFor(pathname, served) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const file = resolve(ROOT, '.' + path);
  const relative = file.slice(ROOT.length);
  const inside = (dir) => {
    const local = dir.split('/').join(sep);
    return relative === local || relative.startsWith(local + sep);
  };
  if (!file.startsWith(ROOT) || !served.some(inside)) return null;
  return file;
}

async function handle(request, response, served) {
  const send = (status, body, headers = {}) => {
    response.writeHead(status, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8',
      ...headers });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(405, 'GET or HEAD only\n', { Allow: 'GET, HEAD' });
    return;
  }
  const { pathname } = new URL(request.url, 'http://localhost');
  if (pathname === '/' || pathname === '/web') {
    send(302, 'see /web/\n', { Location: '/web/' });
    return;
  }
  let file = fileFor(pathname, served);
  if (!file) {
    send(404, `not found: ${pathname}\n`);
    return;
  }
  try {
    if ((await stat(file)).isDirectory()) {
      if (!pathname.endsWith('/')) {
        send(301, 'a directory\n', { Location: `${pathname}/` });
        return;
      }
      file = join(file, 'index.html');
    }
    const body = await readFile(file);
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    send(200, body, { 'Content-Type': type, 'Content-Length': body.length });
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'EISDIR' || error.code === 'ENOTDIR') {
      send(404, `not found: ${pathname}\n`);
    } else {
      send(500, `cannot read ${pathname}: ${error.code ?? error.message}\n`);
    }
  }
}

/**
 * Starts the server. Port 0 picks a free port. `served` replaces the directories it serves
 * (paths from the repository's root, '/'-separated).
 * @param {{ port?: number, host?: string, served?: string[] }} [options]
 * @returns {Promise<{ server: import('node:http').Server, url: string,
 *   close: () => Promise<void> }>} url is the page's address, ending in /web/
 */
export function startServer({ port = 8080, host = '127.0.0.1', served = SERVED } = {}) {
  const server = createServer((request, response) => {
    handle(request, response, served).catch((error) => {
      response.destroy(error);
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolvePromise({
        server,
        url: `http://${shownHost}:${address.port}/web/`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  startServer({ port, host }).then(({ url }) => {
    console.log(`tagalloc: the page is at ${url} (Ctrl-C stops)`);
  }, (error) => {
    const why = error.code === 'EADDRINUSE' ? `port ${port} is taken; try PORT=8081 npm start`
      : error.message;
    console.error(`tagalloc: cannot serve web/: ${why}`);
    process.exit(1);
  });
}
