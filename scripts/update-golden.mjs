// Rewrites tests/golden/variants.json from tests/golden/bank.json. Run it ONLY for a deliberate
// change to how variants are drawn — and then bump GENERATOR_VERSION (src/problems/variants.ts),
// because every worksheet already printed would otherwise change under its students.
import { readFileSync, writeFileSync } from 'node:fs';
const { parseBank, generateKeyVariants, practiceSecret, practiceStudents } = await import('../dist/index.js');
const bank = parseBank(JSON.parse(readFileSync('tests/golden/bank.json', 'utf8')));
const students = practiceStudents(2).map((id) => ({ id, name: id }));
const variants = generateKeyVariants(bank, practiceSecret('golden'), students);
writeFileSync('tests/golden/variants.json', JSON.stringify(variants, null, 1) + '\n');
console.log(`wrote ${variants.length} variants × ${bank.questions.length} questions to tests/golden/variants.json`);
