import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { assignmentSchema, describePolicy, type AssignmentPolicy } from '../problems/assignment.js';
import { createHandler } from '../server/app.js';
import { issueSentence } from '../validation.js';
import { packageDir } from './files.js';
import { readText } from './io.js';
import { KEY_OPTIONS, loadGrader } from './key-source.js';
import { STORE_OPTIONS, openStore } from './store-options.js';

/** serve's flags that override the bank's assignment policy */
const POLICY_OPTIONS = {
  'max-attempts': { type: 'string' },
  counts: { type: 'string' },
  due: { type: 'string' },
  late: { type: 'string' },
  'feedback-before-due': { type: 'string' },
  'reveal-answers': { type: 'string' },
  'record-checks': { type: 'boolean' },
} as const;

/** The bank's policy with the flags given over it; a bad value is one sentence naming the flag. */
export function policyFrom(base: AssignmentPolicy | undefined, values: { [K in keyof typeof POLICY_OPTIONS]?: K extends 'record-checks' ? boolean : string }): AssignmentPolicy {
  const merged: Record<string, unknown> = { ...(base ?? {}) };
  const flag: Record<string, string> = {};
  const set = (key: string, name: string, value: unknown) => {
    merged[key] = value;
    flag[key] = name;
  };
  const attempts = values['max-attempts'];
  if (attempts !== undefined) {
    if (attempts === 'unlimited') {
      delete merged.maxAttempts;
    } else {
      set('maxAttempts', '--max-attempts', /^\d+$/.test(attempts) ? Number(attempts) : attempts);
    }
  }
  if (values.counts !== undefined) set('counts', '--counts', values.counts);
  if (values.due !== undefined) {
    if (values.due === 'none') delete merged.due;
    else set('due', '--due', values.due);
  }
  if (values.late !== undefined) set('late', '--late', values.late);
  if (values['feedback-before-due'] !== undefined) set('feedbackBeforeDue', '--feedback-before-due', values['feedback-before-due']);
  if (values['reveal-answers'] !== undefined) set('revealAnswers', '--reveal-answers', values['reveal-answers']);
  if (values['record-checks'] !== undefined) set('recordChecks', '--record-checks', values['record-checks']);
  const parsed = assignmentSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const where = flag[key] ?? `the bank's assignment.${key}`;
    throw new GradsheetError('usage', `${where} ${issueSentence(issue, merged[key])}${key === 'maxAttempts' ? ' (or unlimited)' : key === 'due' ? ' (or none)' : ''}.`.replace(/\.\.$/, '.'));
  }
  return parsed.data;
}

/** `gradsheet serve (--key key.json | --bank B --secret-file F | --bank B --seed S) [--data DIR | --database URL] [policy flags] [--port P] [--host H] [--token-file T] [--reveal]` */
export async function runServe(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...KEY_OPTIONS, ...STORE_OPTIONS, ...POLICY_OPTIONS, port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, 'token-file': { type: 'string' } }, strict: true });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GradsheetError('usage', `--port should be a port number from 0 to 65535, not "${values.port}".`);
  // the grader first without the store, so a mistyped bank or key says so before a database is opened
  const { bank } = await loadGrader(values, 'serve');
  const policy = policyFrom(bank?.assignment, values);
  const token = values['token-file'] ? (await readText(values['token-file'])).trim() : process.env.GRADSHEET_TOKEN?.trim();
  if (token !== undefined && token.length < 16) throw new GradsheetError('usage', 'The teacher token is too short; use at least 16 random characters (e.g. `openssl rand -hex 24`).');
  const dir = join(packageDir(), 'templates', 'serve');
  const assets = { pageHtml: readFileSync(join(dir, 'page.html'), 'utf8'), appJs: readFileSync(join(dir, 'app.js'), 'utf8'), appCss: readFileSync(join(dir, 'app.css'), 'utf8') };
  const store = await openStore(values);
  let loaded;
  try {
    loaded = await loadGrader(values, 'serve', store);
  } catch (e) {
    await store.close();
    throw e;
  }
  const { grader, title } = loaded;
  // a regrade marks against the bank or key as it is on disk then
  const reload = async () => {
    const fresh = await loadGrader(values, 'serve', store);
    return { grader: fresh.grader, against: fresh.against };
  };
  const server = createServer(createHandler({ grader, token, assets, store, policy, reload }));
  server.keepAliveTimeout = 5000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new GradsheetError('usage', e.code === 'EADDRINUSE' ? `Port ${port} is in use; choose another with --port.` : `Cannot listen on ${values.host}:${port}: ${e.message}.`)));
      server.listen(port, values.host, resolve);
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`Serving ${title} at http://${values.host}:${actual}/ (teacher routes ${token ? 'need the token' : 'closed: no token'}; Ctrl-C stops)\n`);
  process.stdout.write(`Submissions are kept in the ${store.where}; ${describePolicy(policy)}.\n`);
  if (loaded.drawnWith) process.stdout.write(`The bank changed since its worksheets were drawn (${loaded.drawnWith.pinnedAt}): they are drawn as then, and graded with the bank's tolerances and points as they are now.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await store.close();
  return 0;
}
