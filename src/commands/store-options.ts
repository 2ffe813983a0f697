/**
 * Where the submissions are, for serve and its CLI twins (`gradsheet submissions`, `regrade`):
 * `--data DIR` (SQLite, the default ./gradsheet-data) or `--database postgres://…`.
 */
import { Store } from '../store/store.js';

export const STORE_OPTIONS = {
  data: { type: 'string' },
  database: { type: 'string' },
} as const;

/** Opens the store the options name (GRADSHEET_DATABASE stands for --database when neither is given). */
export function openStore(o: { data?: string; database?: string }): Promise<Store> {
  const database = o.database ?? (o.data === undefined ? process.env.GRADSHEET_DATABASE || undefined : undefined);
  return Store.open({ data: o.data, database });
}
