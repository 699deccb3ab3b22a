/** `npm run limiter:diagram`: writes the host limiter statechart into docs/limiter.md. */
import { writeFileSync } from 'node:fs';
import { limiterDoc } from '../core/limiter/diagram.ts';

const file = new URL('../docs/limiter.md', import.meta.url);
writeFileSync(file, limiterDoc());
process.stdout.write(`wrote ${file.pathname}\n`);
