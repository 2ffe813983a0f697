/** One JSON POST on loopback through a keep-alive agent, timed: what the serve benchmarks' clients do. */
import http from 'node:http';

/** Resolves (never rejects) with the answer's status (0 when the request failed) and the milliseconds it took. */
export function timedPost(agent, port, path, body) {
  return new Promise((resolve) => {
    const start = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - start }));
    req.setTimeout(10_000, () => req.destroy());
    req.end(body);
  });
}
