import { setFlagsFromString } from 'node:v8';
import { EXIT_CODE, isGradsheetError } from '../errors.js';

interface Command {
  summary: string;
  usage: string;
  /** the options, one line each, shown by `gradsheet <command> --help` */
  details?: readonly string[];
  /** V8 flags the command runs under, set before its module loads (each with its reason below) */
  v8Flags?: readonly string[];
  run: (args: string[]) => Promise<number>;
}

const commands: Record<string, Command> = {
  solve: {
    summary: 'Solve RNN/LSTM instances exactly: forward pass, every gradient, per-step BPTT terms, Jacobians.',
    usage: 'gradsheet solve <file.json | -> [--all]',
    // Solving thousands of instances in a fresh process is mostly spent before V8's optimising
    // compiler has caught up: without inlining it compiles the engine's large functions (--all)
    // in a fraction of the time. And V8 may decide that objects from some allocation site live
    // long and allocate them in the old generation from then on; here none do (each solution is
    // garbage once printed), and in about one run in four it so decided and the run took a third
    // longer, touching 50 MB more memory.
    v8Flags: ['--no-turbo-inlining', '--no-allocation-site-pretenuring'],
    run: async (args) => (await import('./solve.js')).runSolve(args),
  },
  banks: {
    summary: 'List the default question banks and the problem types.',
    usage: 'gradsheet banks',
    run: async () => (await import('./banks.js')).runBanks(),
  },
  generate: {
    summary: 'Generate per-student variants of a bank: the answer key and blank submissions.',
    usage: 'gradsheet generate --bank NAME|PATH (--seed S [--count N] | --roster FILE --secret-file FILE) --out DIR',
    run: async (args) => (await import('./generate.js')).runGenerate(args),
  },
  audit: {
    summary: 'Audit a bank over many variants: free points, lopsided or spelled-out choices, the redraw rate; exit 1 when it breaks a limit.',
    usage: 'gradsheet audit --bank NAME|PATH [--count N] [--seed S] [--json]',
    run: async (args) => (await import('./audit.js')).runAudit(args),
  },
  render: {
    summary: 'Render printable PDFs: one worksheet per student, the class set, the answer key (answer tables, worked solutions), optionally answer sheets.',
    details: [
      '--paper a4|letter   paper size (default a4)',
      '--working-space none|some|lots',
      '                    room to work under each part (default: the bank\'s workingSpace, else some)',
      '--key full          the answer key: class list, a table of every worksheet\'s answers, worked solutions (default)',
      '--key answers       the answer key without the worked solutions: class list and answer tables',
      '--key none          no answer key (--no-key says the same)',
      '--simplex           no blank pages: by default class-set.pdf (and answer-sheets.pdf) has a blank page',
      '                    after each document of an odd number of pages, so each starts on a front page',
      '--answer-sheet      also a one-page answer sheet per student (answer-sheets/, answer-sheets.pdf);',
      '                    the worksheets then send the answers to it',
      '--html              the same documents as standalone HTML files too (html/)',
    ],
    usage: 'gradsheet render --bank NAME|PATH (--seed S [--count N] | --roster FILE --secret-file FILE) --out DIR [--html] [--paper a4|letter] [--working-space none|some|lots] [--key full|answers|none] [--no-key] [--simplex] [--answer-sheet]',
    run: async (args) => (await import('./render.js')).runRender(args),
  },
  check: {
    summary: "Check one submission: a per-part report that names the mistake (students' self-check).",
    usage: 'gradsheet check SUBMISSION.json (--key key.json | --bank NAME|PATH --secret-file FILE | --bank NAME|PATH --seed S) [--json] [--reveal]',
    run: async (args) => (await import('./check.js')).runCheck(args),
  },
  grade: {
    summary: 'Grade submissions in bulk: results.jsonl, gradebook.csv and report.html.',
    usage: 'gradsheet grade --submissions PATH (--key key.json | --bank NAME|PATH --secret-file FILE | --bank NAME|PATH --seed S) --out DIR [--duplicates last|best] [--reveal]',
    run: async (args) => (await import('./grade.js')).runGrade(args),
  },
  serve: {
    summary: 'Serve the self-check page and online assignments (every submission recorded) for students, and the grading API for LMS integrations.',
    usage: 'gradsheet serve (--key key.json | --bank NAME|PATH --secret-file FILE | --bank NAME|PATH --seed S) [--data DIR | --database URL] [--port P] [--host H] [--token-file T] [--reveal] [--practice] [policy options] [limits] [--lti-config FILE --public-url URL]',
    details: [
      '--seed S            practice worksheets drawn from the bank with seed S (instead of a class\'s --secret-file)',
      '--practice          serve a practice set (--seed, or a key generate --seed wrote): its answers are public',
      '--data DIR          keep submissions in SQLite in DIR (default ./gradsheet-data; created on first start)',
      '--database URL      keep them in PostgreSQL instead (postgres://user@host:port/name), for several servers',
      '--port P, --host H  where to listen (default 127.0.0.1:8080)',
      '--token-file T      the teacher token, for the teacher routes (or GRADSHEET_TOKEN)',
      '--reveal            feedback always states the right answers',
      'The assignment\'s policy (the bank\'s "assignment", overridden by):',
      '--max-attempts N|unlimited    submissions for credit per student (default unlimited)',
      '--counts last|best            which attempt the gradebook counts (default last)',
      '--due TIME|none               due time, ISO 8601 with offset: 2026-12-20T23:59:00+01:00',
      '--late flag|refuse            after the due time: record and flag, or refuse (default flag)',
      '--feedback-before-due mistakes|score   name mistakes before the due time, or scores only',
      '--reveal-answers never|after-due|after-last-attempt   when feedback states the answers',
      '--record-checks               record the page\'s checks too (they are never attempts)',
      '--hints on|off                the sign hint (default: off with --max-attempts or --due, else on)',
      'Grading limits (429 with Retry-After; the teacher\'s token is not limited):',
      '--checks-per-hour N|unlimited      graded requests per worksheet code (default 30)',
      '--requests-per-minute N|unlimited  grading requests per client address (default 120)',
      '--misses-per-hour N|unlimited      unknown codes per client address (default 20)',
      'LTI 1.3 (launched from Canvas, Moodle, Blackboard, Brightspace; scores sent to their gradebooks):',
      '--lti-config FILE   the platforms registered: {"platforms": [{"issuer", "clientId", "deploymentIds", "authLoginUrl", "accessTokenUrl", "jwksUrl"}]}',
      '--public-url URL    this server\'s address as platforms reach it (default http://HOST:PORT)',
      '--lti-banks A,B     the banks offered when an instructor adds the assignment (default: the --bank and every default bank)',
    ],
    run: async (args) => (await import('./serve.js')).runServe(args),
  },
  submissions: {
    summary: 'Export what serve recorded: the submissions (JSON Lines or JSON) or the gradebook of counted attempts.',
    usage: 'gradsheet submissions export|gradebook [--data DIR | --database URL] [--worksheet C] [--student S] [--since TIME] [--kind submission|check] [--format jsonl|json] [--counts last|best] [--out FILE]',
    run: async (args) => (await import('./submissions.js')).runSubmissions(args),
  },
  regrade: {
    summary: 'Re-mark every stored submission against the bank or key as it is now; report what changed, keeping the old results.',
    usage: 'gradsheet regrade (--key key.json | --bank NAME|PATH --secret-file FILE | --bank NAME|PATH --seed S) [--data DIR | --database URL] [--dry-run] [--json] [--counts last|best]',
    run: async (args) => (await import('./submissions.js')).runRegrade(args),
  },
  lti: {
    summary: 'The LTI tool\'s keys and score outbox: rotate the signing key; list, and resend, the scores sent to platforms.',
    usage: 'gradsheet lti rotate-key|outbox [--data DIR | --database URL] [--status pending|sent|failed|superseded] [--resend ID] [--json]',
    run: async (args) => (await import('./lti.js')).runLti(args),
  },
  schema: {
    summary: 'Print the JSON Schema of a public format: submission, result or key.',
    usage: 'gradsheet schema submission|result|key',
    run: async (args) => (await import('./schema.js')).runSchema(args),
  },
};

/** A command's usage line, as `gradsheet <command> --help` prints it (undefined: no such command). */
export function commandUsage(name: string): string | undefined {
  return Object.hasOwn(commands, name) ? commands[name]!.usage : undefined;
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['Usage: gradsheet <command> [options]', '', 'Commands:', ...lines, '', 'Run `gradsheet <command> --help` for a command\'s options.'].join('\n');
}

/** Runs one command; returns the exit code. Errors are printed as sentences, never stacks. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { version } = await import('../version.js');
    process.stdout.write(version + '\n');
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`gradsheet: unknown command "${name}"; the commands are ${Object.keys(commands).join(', ')}.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n${command.details ? `\n${command.details.map((l) => `  ${l}`).join('\n')}\n` : ''}`);
    return 0;
  }
  for (const flag of command.v8Flags ?? []) setFlagsFromString(flag);
  try {
    return await command.run(rest);
  } catch (e) {
    const argError = (e as { code?: string }).code;
    if (argError === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || argError === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || argError === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write(`gradsheet ${name}: ${(e as Error).message.split('\n')[0]!.replace(/\.?$/, '.')} Usage: ${command.usage}\n`);
      return 2;
    }
    if (isGradsheetError(e)) {
      process.stderr.write(`gradsheet ${name}: ${e.message}\n`);
      return EXIT_CODE[e.code];
    }
    const detail = e instanceof Error ? e.message : String(e);
    process.stderr.write(`gradsheet ${name}: internal error: ${detail}. Please report this with the command you ran.\n`);
    if (process.env.GRADSHEET_DEBUG) console.error(e);
    return 70;
  }
}
