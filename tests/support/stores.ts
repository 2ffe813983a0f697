/**
 * Fresh stores for the store tests: an empty SQLite data folder or a fresh database on the run's
 * PostgreSQL (tests/support/postgres-setup.ts), each closed after its test. `data` opens it again.
 */
import { join } from 'node:path';
import { afterEach, inject } from 'vitest';
import { Store } from '../../src/store/store.js';
import { freshDatabase } from './postgres.js';
import { tempDir } from './tmp.js';

export type StoreKind = 'sqlite' | 'postgres';

/** A `fresh(kind)` for one test file; its stores are closed after each test (a store opened again by the test is pushed onto `open`). */
export function freshStores(prefix: string): { fresh: (kind: StoreKind) => Promise<{ store: Store; data: { data?: string; database?: string } }>; open: Store[] } {
  const dir = tempDir(prefix);
  let n = 0;
  const open: Store[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => undefined);
  });
  return {
    open,
    async fresh(kind) {
      const data = kind === 'sqlite' ? { data: join(dir, `s${n++}`) } : { database: await freshDatabase(inject('postgresUrl')) };
      const store = await Store.open(data);
      open.push(store);
      return { store, data };
    },
  };
}
