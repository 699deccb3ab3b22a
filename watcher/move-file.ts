import { randomBytes } from 'node:crypto';
import { copyFile, link, open, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** `name.csv` → `name.20261204T193000123Z.csv`: the name kept, made unique by when it was moved. */
function stamped(name: string, attempt: number): string {
  const ext = path.extname(name);
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  return `${path.basename(name, ext)}.${stamp}${attempt > 0 ? `-${attempt}` : ''}${ext}`;
}

/**
 * Links `source` into `dir` under `name`, or a stamped name when that is taken (`link` fails on an
 * existing target, so nothing there is ever overwritten). Returns the new path.
 */
async function linkUnderFreeName(source: string, dir: string, name: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const target = path.join(dir, attempt === 0 ? name : stamped(name, attempt - 1));
    try {
      await link(source, target);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Moves `file` into `dir` and returns where it landed. Within one file system: a hard link under
 * the final name, then the old name goes, so the file always exists under one name or both.
 * Across file systems: copy to a temporary name in `dir`, fsync, link under the final name, and
 * only then unlink the original. A crash at any point loses no file.
 */
export async function moveInto(file: string, dir: string): Promise<string> {
  const name = path.basename(file);
  let target: string;
  try {
    target = await linkUnderFreeName(file, dir, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = path.join(dir, `.${name}.${randomBytes(4).toString('hex')}.moving`);
    await copyFile(file, tmp);
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    target = await linkUnderFreeName(tmp, dir, name);
    await unlink(tmp);
  }
  await unlink(file);
  return target;
}

/** `<file>.reason.txt` beside a rejected file, saying why. */
export async function writeReason(file: string, reason: string): Promise<void> {
  await writeFile(`${file}.reason.txt`, `${reason}\n`);
}
