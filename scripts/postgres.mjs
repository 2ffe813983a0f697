/**
 * A throwaway PostgreSQL server for the tests (tests/support/postgres.ts re-exports this with its
 * types, scripts/postgres.d.mts) and the benchmarks (bench/*.mjs import it as it is).
 *
 *   const pg = await startPostgres();   // pg.url: postgres://gradsheet@127.0.0.1:PORT/gradsheet
 *   const url = await freshDatabase(pg.url);   // a new empty database on the same server
 *   await pg.stop();                    // the server is gone, and so is its directory
 *
 * Each call makes a brand-new cluster in a new temporary directory (initdb, trust authentication,
 * user `gradsheet`), listening on 127.0.0.1 on a free port, its unix socket and its log file in
 * that directory. fsync and synchronous_commit are on (durability is under test); only initdb's
 * own final flush is skipped (--no-sync), which a crash of the server cannot tell apart.
 *
 * PostgreSQL refuses to run as root: as root the server's programs (initdb, pg_ctl) run as the
 * `postgres` user through runuser, and the directory is handed to that user. The client programs
 * (psql) run as whoever we are: they connect over TCP with trust authentication.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const USER = 'gradsheet';
const DATABASE = 'gradsheet';
const SERVER_PROGRAMS = ['initdb', 'pg_ctl', 'postgres', 'psql'];
const MISSING = 'PostgreSQL server programs (initdb, pg_ctl, postgres, psql) were not found: install the Debian package postgresql-15 (apt-get install postgresql-15), or run scripts/bootstrap.sh as root.';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * The environment the PostgreSQL programs see: ours without PG* variables (PGPORT, PGHOST,
 * PGDATABASE, PGOPTIONS… would point them somewhere else) and with C messages.
 */
function cleanEnv() {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG') && v !== undefined) env[k] = v;
  env.LC_ALL = 'C';
  return env;
}

/**
 * The directory holding initdb, pg_ctl, postgres and psql: `binDir` when given, else
 * `pg_config --bindir` when that has them, else the highest version's /usr/lib/postgresql/N/bin.
 * @param {string} [binDir]
 * @returns {string}
 */
export function postgresBinDir(binDir) {
  if (binDir === undefined) return (foundBinDir ??= findBinDir());
  if (SERVER_PROGRAMS.every((p) => existsSync(join(binDir, p)))) return binDir;
  throw new Error(MISSING);
}
/** @type {string | undefined} */
let foundBinDir;

/** @returns {string} */
function findBinDir() {
  const complete = (/** @type {string} */ dir) => SERVER_PROGRAMS.every((p) => existsSync(join(dir, p)));
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // Debian's pg_config belongs to libpq-dev, whose version need not be the server's
    if (dir && complete(dir)) return dir;
  } catch {
    // no pg_config: look in Debian's place
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (complete(join(root, v, 'bin'))) return join(root, v, 'bin');
  throw new Error(MISSING);
}

/**
 * Runs a program and resolves to its stdout; on failure, rejects with an Error whose message is
 * `what` and the program's last lines of output (no stack of ours: the program's words matter).
 * @param {string} file
 * @param {string[]} args
 * @param {{ asServerUser?: boolean, cwd?: string, what: string }} options
 * @returns {Promise<string>}
 */
function run(file, args, { asServerUser = false, cwd, what }) {
  const [cmd, argv] = asServerUser && isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const said = tail(`${stderr}\n${stdout}`, 15);
      reject(new Error(said ? `${what}:\n${said}` : `${what} (${err.message.split('\n')[0]})`));
    });
  });
}

/** The last `n` non-empty lines of `text`. */
function tail(/** @type {string} */ text, /** @type {number} */ n) {
  return text.split('\n').filter((l) => l.trim()).slice(-n).join('\n');
}

/**
 * A TCP port free on 127.0.0.1 a moment ago (bind port 0, read it, close): another process may
 * still take it before the server binds it, so startPostgres tries again on "Address already in use".
 * @returns {Promise<number>}
 */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not find a free TCP port'))));
    });
  });
}

/** A quoted string for postgresql.conf. */
const confString = (/** @type {string} */ s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** Servers started and not yet stopped: stopped when this process exits, so none is left behind. */
/** @type {Set<{ pgCtl: string, data: string, dir: string }>} */
const running = new Set();
let exitHookInstalled = false;
function stopAllAtExit() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const s of running) {
      const argv = ['-D', s.data, 'stop', '-m', 'immediate', '-w'];
      try {
        if (isRoot) execFileSync('runuser', ['-u', 'postgres', '--', s.pgCtl, ...argv], { cwd: s.dir, stdio: 'ignore', env: cleanEnv() });
        else execFileSync(s.pgCtl, argv, { cwd: s.dir, stdio: 'ignore', env: cleanEnv() });
      } catch {
        // already gone
      }
      try {
        execFileSync('rm', ['-rf', s.dir], { stdio: 'ignore' });
      } catch {
        // nothing more to do at exit
      }
    }
  });
}

/**
 * @typedef {object} Postgres
 * @property {string} url  postgres://gradsheet@127.0.0.1:PORT/gradsheet
 * @property {number} port
 * @property {string} dir  the temporary directory: data/, the unix socket, server.log
 * @property {() => Promise<void>} stop  stops the server at once (pg_ctl stop -m immediate) and removes `dir`; a second call does nothing
 */

/**
 * Starts a new PostgreSQL server in a new temporary directory, with an empty database `gradsheet`.
 * @param {{ binDir?: string }} [options]  binDir: where initdb, pg_ctl, postgres and psql are (found when not given)
 * @returns {Promise<Postgres>}
 */
export async function startPostgres(options = {}) {
  const bin = postgresBinDir(options.binDir);
  const pgCtl = join(bin, 'pg_ctl');
  const dir = await mkdtemp(join(tmpdir(), 'gradsheet-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const server = { pgCtl, data, dir };
  try {
    if (isRoot) {
      // the server's user must own the directory; mkdtemp made it 0700, and its parents (/tmp) are traversable
      await run('chown', ['postgres:', dir], { what: 'could not give the PostgreSQL directory to the postgres user' });
      await chmod(dir, 0o700);
    }
    const asServer = { asServerUser: true, cwd: dir };
    await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', USER, '-E', 'UTF8', '--locale=C', '--no-sync'], { ...asServer, what: 'initdb could not create a PostgreSQL cluster' });
    await appendFile(join(data, 'postgresql.conf'), [
      '',
      '# gradsheet test server (scripts/postgres.mjs)',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = ${confString(dir)}`,
      'fsync = on',
      'synchronous_commit = on',
      'full_page_writes = on',
      '',
    ].join('\n'));

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const logBefore = (await readFile(log, 'utf8').catch(() => '')).length;
      try {
        await run(pgCtl, ['-D', data, '-l', log, '-w', '-t', '60', '-o', `-p ${port}`, 'start'], { ...asServer, what: 'pg_ctl could not start PostgreSQL' });
        break;
      } catch (err) {
        const said = (await readFile(log, 'utf8').catch(() => '')).slice(logBefore);
        // the port was taken between freePort and the server's bind: try another
        if (attempt < 3 && /Address already in use/.test(said)) continue;
        throw new Error(`PostgreSQL did not start; the end of its log:\n${tail(said, 20) || /** @type {Error} */ (err).message}`);
      }
    }
    running.add(server);
    stopAllAtExit();
    const url = `postgres://${USER}@127.0.0.1:${port}/${DATABASE}`;
    await psql(bin, `postgres://${USER}@127.0.0.1:${port}/postgres`, `CREATE DATABASE ${DATABASE}`);

    let stopped = false;
    return {
      url,
      port,
      dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopServer(server);
      },
    };
  } catch (err) {
    await stopServer(server).catch(() => {});
    throw err;
  }
}

/**
 * Stops the server in `s.data` if it runs (immediately: no checkpoint, the directory goes anyway)
 * and removes `s.dir`. Refuses to remove the directory of a server still running.
 * @param {{ pgCtl: string, data: string, dir: string }} s
 */
async function stopServer(s) {
  const pidFile = join(s.data, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
    try {
      await run(s.pgCtl, ['-D', s.data, 'stop', '-m', 'immediate', '-w', '-t', '60'], { asServerUser: true, cwd: s.dir, what: 'pg_ctl could not stop PostgreSQL' });
    } catch (err) {
      // pg_ctl status: 0 running, 3 not running
      const stillRunning = await run(s.pgCtl, ['-D', s.data, 'status'], { asServerUser: true, cwd: s.dir, what: 'status' }).then(() => true, () => false);
      if (stillRunning) throw err;
    }
    // pg_ctl returns when postmaster.pid is gone, which the postmaster removes just before it exits
    for (const deadline = Date.now() + 10_000; pid > 0 && alive(pid);) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL (process ${pid}) still runs after pg_ctl stop; its directory ${s.dir} is left in place`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  running.delete(s);
  await rm(s.dir, { recursive: true, force: true });
}

/**
 * Whether process `pid` still runs (a zombie, dead and waiting for its parent to reap it, does not).
 * @param {number} pid
 */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) STATE …"; comm may hold spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return existsSync('/proc/self') ? false : true; // no /proc (not Linux): kill said it exists
  }
}

/**
 * Runs one SQL command with psql on `url`, stopping at the first error.
 * @param {string} bin
 * @param {string} url
 * @param {string} sql
 */
function psql(bin, url, sql) {
  return run(bin ? join(bin, 'psql') : 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { what: `psql could not run "${sql}"` });
}

/**
 * Creates a new empty database with a random name on the server of `url` and returns its URL
 * (the same user, host and port), so tests need not see each other's tables.
 * @param {string} url  a postgres:// URL on that server (its database is where psql connects first)
 * @param {{ binDir?: string }} [options]
 * @returns {Promise<string>}
 */
export async function freshDatabase(url, options = {}) {
  const name = `gradsheet_${randomBytes(6).toString('hex')}`;
  let bin;
  try {
    bin = postgresBinDir(options.binDir);
  } catch {
    bin = ''; // a server of someone else's (GRADSHEET_TEST_POSTGRES) needs only a psql on PATH
  }
  await psql(bin, url, `CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
