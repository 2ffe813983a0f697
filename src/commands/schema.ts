import { GradsheetError } from '../errors.js';
import { SCHEMAS, jsonSchema } from '../grade/schemas.js';

/** `gradsheet schema submission|result|key`: the JSON Schema of a public format. */
export async function runSchema(argv: string[]): Promise<number> {
  const name = argv[0];
  if (argv.length !== 1 || !name || !(name in SCHEMAS)) throw new GradsheetError('usage', `schema takes one of ${Object.keys(SCHEMAS).join(', ')}.`);
  process.stdout.write(JSON.stringify(jsonSchema(name as keyof typeof SCHEMAS), null, 2) + '\n');
  return 0;
}
