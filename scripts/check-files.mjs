// Every source file says what it is for in its opening comment, and a file over
// MAX_LINES lines says in that comment why it is long ("Long because ..."), so that
// size is a decision, not an accident. Run by `npm run lint`.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_LINES = 400;
const files = execSync("git ls-files --cached --others --exclude-standard 'src/**/*.ts' 'shaders/*.ts' 'shaders/*.wgsl'", { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.endsWith('.d.ts'));
const problems = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  const lines = text.split('\n');
  const head = [];
  for (const line of lines) {
    if (/^\s*(\/\/|\/\*|\*)/.test(line)) head.push(line);
    else break;
  }
  if (head.length === 0) problems.push(`${file}: starts without a comment saying what the file is for`);
  const count = lines.length - (lines.at(-1) === '' ? 1 : 0);
  if (count > MAX_LINES && !head.some((l) => /Long because/.test(l))) {
    problems.push(`${file}: ${count} lines (over ${MAX_LINES}) and its opening comment does not say why ("Long because ...")`);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`check-files: ${files.length} files, each with its purpose at the top`);
