// Writes the golden variants of ONE generator version: tests/golden/variants.json from bank.json
// (generator 1), tests/golden/variants-vN.json from bank-vN.json. Run it only when a version is
// new and not yet released — `node scripts/update-golden.mjs 2`. A released version's golden file
// is never rewritten: a change that would alter its variants belongs in a new generator version
// (src/problems/generator-version.ts), because every worksheet printed under it would change.
import { readFileSync, writeFileSync } from 'node:fs';
const { parseBank, generateKeyVariants, practiceSecret, practiceStudents } = await import('../dist/index.js');
const version = Number(process.argv[2]);
if (!Number.isInteger(version) || version < 1) {
  console.error('usage: node scripts/update-golden.mjs VERSION (the generator version whose golden file to write)');
  process.exit(2);
}
const suffix = version === 1 ? '' : `-v${version}`;
const bank = parseBank(JSON.parse(readFileSync(`tests/golden/bank${suffix}.json`, 'utf8')));
if (bank.generator !== version) {
  console.error(`tests/golden/bank${suffix}.json is drawn with generator ${bank.generator}, not ${version}`);
  process.exit(2);
}
const students = practiceStudents(2).map((id) => ({ id, name: id }));
const variants = generateKeyVariants(bank, practiceSecret('golden'), students);
writeFileSync(`tests/golden/variants${suffix}.json`, JSON.stringify(variants, null, 1) + '\n');
console.log(`wrote ${variants.length} variants × ${bank.questions.length} questions to tests/golden/variants${suffix}.json`);
