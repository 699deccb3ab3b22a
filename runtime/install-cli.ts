/**
 * npm postinstall: makes sure a Temporal CLI is at hand for the embedded dev server. Never fails
 * the install: without one, `npm start` explains what to run.
 */
import { findTemporalCli } from './temporal-cli.ts';

if (!process.env.TEMPORAL_ADDRESS) {
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH, (m) => console.log(`bulk-api-trigger: ${m}`));
  console.log(
    cli.path
      ? `bulk-api-trigger: Temporal CLI at ${cli.path}`
      : 'bulk-api-trigger: no Temporal CLI yet; `npm start` will say how to get one (or set TEMPORAL_ADDRESS).',
  );
}
