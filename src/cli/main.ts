// The `etascape` command line's entry point: built into dist/cli.mjs (npm run
// build:cli); bin/etascape.mjs runs it. The commands are in commands.ts.

import { main } from './commands';

// `etascape sweep | head` closes stdout early: not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
