// A small static server for the bench: /bench/… is served from bench/, everything else from www/
// (so / is the lab page and /pkg/… the engine's wasm build, exactly as scripts/serve.sh serves
// them). With `isolate`, every response carries the cross-origin isolation headers (COOP/COEP),
// which TF.js's threaded wasm backend needs for SharedArrayBuffer.
// Standalone: node bench/serve.mjs [port] [--isolate]

import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// BENCH_WWW serves another folder in place of www/ (to try the page checks on another page).
const ROOTS = { bench: join(REPO, "bench"), www: resolve(process.env.BENCH_WWW || join(REPO, "www")) };
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
};

function fileFor(urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath.split("?")[0]);
  } catch {
    return null;
  }
  let root = ROOTS.www;
  if (p === "/bench" || p.startsWith("/bench/")) {
    root = ROOTS.bench;
    p = p.slice("/bench".length) || "/";
  }
  const f = normalize(join(root, p));
  if (f !== root && !f.startsWith(root + sep)) return null;
  try {
    const st = statSync(f);
    if (st.isDirectory()) {
      const idx = join(f, "index.html");
      return statSync(idx).isFile() ? idx : null;
    }
    return st.isFile() ? f : null;
  } catch {
    return null;
  }
}

/** Starts a server on 127.0.0.1; resolves to { url, close() }. Port 0 picks a free one. */
export function serve({ port = 0, isolate = false } = {}) {
  const server = createServer((req, res) => {
    const headers = { "Cache-Control": "no-store" };
    if (isolate) {
      headers["Cross-Origin-Opener-Policy"] = "same-origin";
      headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
    const f = req.method === "GET" || req.method === "HEAD" ? fileFor(req.url || "/") : null;
    if (!f) {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain" });
      res.end("not found");
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(f)] || "application/octet-stream" });
    if (req.method === "HEAD") return res.end();
    createReadStream(f).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => {
      ok({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv.find((a) => /^\d+$/.test(a)) || 8001);
  const isolate = process.argv.includes("--isolate");
  serve({ port, isolate }).then((s) => console.log(`bench server at ${s.url}/bench/ (isolate=${isolate})`));
}
