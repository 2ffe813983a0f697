import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { createHandler } from '../server/app.js';
import { packageDir } from './files.js';
import { readText } from './io.js';
import { KEY_OPTIONS, loadGrader } from './key-source.js';

/** `gradsheet serve (--key key.json | --bank B --secret-file F) [--port P] [--host H] [--token-file T] [--reveal]` */
export async function runServe(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...KEY_OPTIONS, port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, 'token-file': { type: 'string' } }, strict: true });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GradsheetError('usage', `--port should be a port number from 0 to 65535, not "${values.port}".`);
  const { grader, title } = await loadGrader(values, 'serve');
  const token = values['token-file'] ? (await readText(values['token-file'])).trim() : process.env.GRADSHEET_TOKEN?.trim();
  if (token !== undefined && token.length < 16) throw new GradsheetError('usage', 'The teacher token is too short; use at least 16 random characters (e.g. `openssl rand -hex 24`).');
  const dir = join(packageDir(), 'templates', 'serve');
  const assets = { pageHtml: readFileSync(join(dir, 'page.html'), 'utf8'), appJs: readFileSync(join(dir, 'app.js'), 'utf8'), appCss: readFileSync(join(dir, 'app.css'), 'utf8') };
  const server = createServer(createHandler({ grader, token, assets }));
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new GradsheetError('usage', e.code === 'EADDRINUSE' ? `Port ${port} is in use; choose another with --port.` : `Cannot listen on ${values.host}:${port}: ${e.message}.`)));
    server.listen(port, values.host, resolve);
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`Serving ${title} at http://${values.host}:${actual}/ (teacher routes ${token ? 'need the token' : 'closed: no token'}; Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
