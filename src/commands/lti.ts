/**
 * `gradsheet lti`: the LTI tool's keys and score outbox, read from the store directly (the server
 * may be running; it reads the keys again within seconds and looks at the outbox every few):
 *   gradsheet lti rotate-key [--data DIR | --database URL]
 *   gradsheet lti outbox [--data DIR | --database URL] [--status S] [--json] [--resend ID]
 */
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { KEY_RETENTION_MS, rotateKey } from '../server/lti/keys.js';
import { outboxView } from '../server/lti/tool.js';
import { STORE_OPTIONS } from './store-options.js';
import { withStore } from './submissions.js';

const STATUSES = ['pending', 'sent', 'failed', 'superseded'];

export async function runLti(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: { ...STORE_OPTIONS, status: { type: 'string' }, resend: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true });
  if (sub === 'rotate-key') {
    const { kid, retired } = await withStore(values, (store) => rotateKey(store));
    process.stdout.write(`New signing key ${kid}.${retired.length ? ` The old key${retired.length === 1 ? '' : 's'} ${retired.join(', ')} stay${retired.length === 1 ? 's' : ''} published for ${Math.round(KEY_RETENTION_MS / 60_000)} minutes, until every token signed with ${retired.length === 1 ? 'it' : 'them'} has expired.` : ''} A running server signs with the new key within 5 seconds.\n`);
    return 0;
  }
  if (sub === 'outbox') {
    if (values.status !== undefined && !STATUSES.includes(values.status)) throw new GradsheetError('usage', `--status should be ${STATUSES.join(', ')}, not "${values.status}".`);
    if (values.resend !== undefined) {
      const id = values.resend;
      const done = await withStore(values, (store) => store.lti.resend(id, new Date().toISOString()));
      if (!done.ok) throw new GradsheetError(/no outbox entry/.test(done.why) ? 'not-found' : 'usage', done.why);
      process.stdout.write(`Entry ${id} is queued to be sent again; a running server sends it within seconds.\n`);
      return 0;
    }
    const entries = await withStore(values, (store) => store.lti.outbox(values.status ? { status: values.status } : {}));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(entries.map(outboxView), null, 1)}\n`);
      return 0;
    }
    if (entries.length === 0) {
      process.stdout.write(`No scores${values.status ? ` ${values.status}` : ''} in the outbox.\n`);
      return 0;
    }
    const lines = entries.map((e) => {
      const what = e.status === 'sent' ? `sent ${e.sent_at}` : e.status === 'pending' ? `pending, next try ${e.next_at}${e.tries ? ` (${e.tries} tries)` : ''}` : e.status;
      return `${e.id}  ${e.status.padEnd(10)} student ${e.student} (user ${e.user_id})  ${e.score_given} / ${e.score_maximum}  ${what}${e.last_error ? `\n    ${e.status === 'failed' ? 'platform answered' : 'last try'}: ${e.last_error}` : ''}`;
    });
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  throw new GradsheetError('usage', `gradsheet lti takes rotate-key or outbox, not ${sub === undefined ? 'nothing' : `"${sub}"`}.`);
}
