import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const SAMPLE = new URL('../.env.sample', import.meta.url);

/** A config file that is already there is not overwritten unless forced. */
export class ConfigExistsError extends Error {
  override name = 'ConfigExistsError';
}

/** Writes a commented `.env` (the documented sample, every variable with its default). */
export async function createConfig(target: string, force: boolean): Promise<string> {
  const file = path.resolve(target);
  const sample = await readFile(SAMPLE, 'utf8');
  try {
    await writeFile(file, sample, { flag: force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigExistsError(`${file} exists; use --force to overwrite it`);
    throw err;
  }
  return file;
}
