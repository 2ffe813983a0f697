/**
 * Requirement (serve issue): a load test on loopback, 20,000 grade requests, zero errors; report
 * requests/s and p99 latency. The server runs as `gradsheet serve` in its own process; the load
 * comes from this process over keep-alive connections (50 at a time), bounded in count and time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { timedPost } from './timed-post.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const REQUESTS = 20_000, CONCURRENCY = 50;

export default async function serveBench() {
  const { parseBank, generateKeyVariants, answerKey, practiceSecret, practiceStudents } = await import(`${root}dist/index.js`);
  const dir = mkdtempSync(join(tmpdir(), 'gradsheet-serve-bench-'));
  const bank = parseBank(JSON.parse(readFileSync(`${root}question-banks/midterm.json`, 'utf8')));
  const variants = generateKeyVariants(bank, practiceSecret('serve-bench'), practiceStudents(50).map((id) => ({ id, name: id })));
  writeFileSync(join(dir, 'key.json'), JSON.stringify(answerKey(bank, variants)));
  const bodies = variants.map((v, i) => JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student,
    answers: Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p, k) => [p.id, (i + k) % 3 === 0 ? null : p.answer]))) }));
  const server = spawn(process.execPath, ['dist/cli.js', 'serve', '--key', join(dir, 'key.json'), '--port', '0', ...(process.env.GRADSHEET_BENCH_LIMITS === 'off' ? ['--checks-per-hour', 'unlimited', '--requests-per-minute', 'unlimited', '--misses-per-hour', 'unlimited'] : ['--checks-per-hour', '100000000', '--requests-per-minute', '100000000'])], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await new Promise((resolve, reject) => {
      server.stdout.on('data', (d) => { const m = /:(\d+)\//.exec(String(d)); if (m) resolve(Number(m[1])); });
      server.on('exit', (c) => reject(new Error(`server exited with ${c}`)));
      setTimeout(() => reject(new Error('server did not start')), 20_000);
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const request = async (body) => {
      const r = await timedPost(agent, port, '/api/v1/grade', body);
      return { ok: r.status === 200, ms: r.ms };
    };
    // the server's own CPU time over the load (Linux: /proc/PID/stat, clock ticks of 10 ms): a figure the
    // load generator sharing the machine's cores disturbs less than requests/s
    const cpu = () => { try { const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; } catch { return null; } };
    const cpuBefore = cpu();
    let next = 0, errors = 0;
    const latencies = [];
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS && performance.now() - started < 120_000) {
        const i = next++;
        const r = await request(bodies[i % bodies.length]);
        latencies.push(r.ms);
        if (!r.ok) errors++;
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = cpu();
    const cpuPerRequest = cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / latencies.length;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)];
    const rps = latencies.length / seconds;
    console.log(`  ${latencies.length} grade requests, ${CONCURRENCY} at a time: ${rps.toFixed(0)} requests/s, p99 ${p99.toFixed(1)} ms, ${errors} errors; the server used ${cpuPerRequest === null ? "?" : cpuPerRequest.toFixed(0)} µs of CPU a request`);
    return { name: `serve: ${REQUESTS} grade requests`, requests: latencies.length, requests_per_s: rps, p99_ms: p99, server_cpu_us_per_request: cpuPerRequest, errors, goal: 'errors <= 0' };
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
