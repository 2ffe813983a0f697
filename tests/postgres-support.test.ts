/**
 * The throwaway PostgreSQL server of tests/support/postgres.ts: the run's server answers, fresh
 * databases are new and empty, and a server started and stopped leaves no process, port or folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freshDatabase, postgresBinDir, startPostgres } from './support/postgres.js';
import { tempDir } from './support/tmp.js';

/** psql's unaligned, tuples-only output of `sql` on `url` (PG* variables of ours left out). */
function psql(url: string, sql: string): string {
  let bin = 'psql';
  try {
    bin = join(postgresBinDir(), 'psql');
  } catch {
    // GRADSHEET_TEST_POSTGRES with only a client installed: psql on PATH
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  return execFileSync(bin, ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Whether process `pid` runs. A zombie does not: it has exited and waits to be reaped by PID 1
 * (the postmaster's parent, pg_ctl, is gone), which in this machine's VM can take a while.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!existsSync('/proc/self')) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); // "pid (comm) STATE …"
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** How many tables a database has besides the system's. */
const tables = "select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')";

describe('the run’s PostgreSQL server', () => {
  const url = inject('postgresUrl');

  it('is given to tests as a postgres:// URL and answers a query', () => {
    expect(url).toMatch(/^postgres(ql)?:\/\//);
    expect(psql(url, 'select 1')).toBe('1');
  });

  it('makes fresh databases that are distinct and empty', async () => {
    const [a, b] = await Promise.all([freshDatabase(url), freshDatabase(url)]);
    expect(a).not.toBe(b);
    expect(a).not.toBe(url);
    const name = (u: string) => decodeURIComponent(new URL(u).pathname.slice(1));
    expect(psql(a, 'select current_database()')).toBe(name(a));
    expect(psql(b, 'select current_database()')).toBe(name(b));
    expect(psql(a, tables)).toBe('0');
    expect(psql(b, tables)).toBe('0');
    psql(a, 'create table submission (id int primary key); insert into submission values (1)');
    expect(psql(a, 'select count(*) from submission')).toBe('1');
    expect(psql(b, tables)).toBe('0');
    expect(psql(url, "select count(*) from pg_tables where tablename = 'submission'")).toBe('0');
  });
});

describe('startPostgres', () => {
  it('starts servers of their own (two at once, on different ports, fsync on) and stop leaves no process, port or folder', async () => {
    const servers = await Promise.all([startPostgres(), startPostgres()]);
    const [one, two] = servers as [typeof servers[0], typeof servers[0]];
    try {
      expect(one.port).not.toBe(two.port);
      expect(one.dir).not.toBe(two.dir);
      for (const pg of servers) {
        expect(pg.url).toBe(`postgres://gradsheet@127.0.0.1:${pg.port}/gradsheet`);
        expect(psql(pg.url, 'select current_user, current_database()')).toBe('gradsheet|gradsheet');
        expect(psql(pg.url, tables)).toBe('0');
        expect(psql(pg.url, 'show fsync')).toBe('on');
        expect(psql(pg.url, 'show synchronous_commit')).toBe('on');
        expect(psql(pg.url, 'show listen_addresses')).toBe('127.0.0.1');
      }
      psql(one.url, 'create table only_here (x int)');
      expect(psql(two.url, "select count(*) from pg_tables where tablename = 'only_here'")).toBe('0');

      // the postmaster's process id is the first line of postmaster.pid
      const pid = Number(readFileSync(join(one.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(alive(pid)).toBe(true);
      expect(await accepts(one.port)).toBe(true);

      await one.stop();
      expect(alive(pid)).toBe(false);
      expect(await accepts(one.port)).toBe(false);
      expect(existsSync(one.dir)).toBe(false);
      await one.stop(); // a second stop does nothing
      // the other server is untouched
      expect(psql(two.url, 'select 1')).toBe('1');
    } finally {
      await Promise.all(servers.map((pg) => pg.stop()));
    }
    expect(existsSync(two.dir)).toBe(false);
    expect(await accepts(two.port)).toBe(false);
  });

  it('says in one sentence which package to install when PostgreSQL is not there', async () => {
    const empty = tempDir('gradsheet-no-pg-');
    const err = await startPostgres({ binDir: empty }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toMatch(/^PostgreSQL server programs .* not found: install the Debian package postgresql-15\b/);
    expect(err?.message).not.toContain('\n');
  });
});
