import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ApiProblem } from './problem.ts';

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/** The path with every existing part's symlinks resolved: where it would really be. */
async function realLocation(p: string): Promise<string | null> {
  const real = await realpath(p).catch(() => null);
  if (real) return real;
  const parent = path.dirname(p);
  if (parent === p) return null;
  const realParent = await realLocation(parent);
  return realParent && path.join(realParent, path.basename(p));
}

/**
 * Where a trigger's csv_file really is, if it lies in one of the allowed folders (after
 * symlinks); a 400 naming the folders otherwise, a 404 when it is allowed but absent. Nothing
 * is opened: only paths are resolved. Relative paths are taken from the first folder
 * (DATA_DIR/csv), or from the working directory as the original tool did.
 */
export async function confineCsvPath(csvFile: string, allowedDirs: string[]): Promise<string> {
  if (csvFile.includes('\0')) throw new ApiProblem(400, 'path-not-allowed', 'csv_file contains a NUL byte');
  const roots = (await Promise.all(allowedDirs.map((d) => realpath(d).catch(() => null)))).filter((d): d is string => d !== null);
  const candidates = path.isAbsolute(csvFile) ? [csvFile] : [path.resolve(allowedDirs[0] ?? '.', csvFile), path.resolve(csvFile)];
  const outside = new ApiProblem(400, 'path-not-allowed', `csv_file ${JSON.stringify(csvFile)} is outside the allowed CSV folders (${allowedDirs.join(', ')})`);
  let firstMissing: string | null = null;
  for (const candidate of candidates) {
    const real = await realpath(candidate).catch(() => null);
    if (real === null) {
      firstMissing ??= candidate;
      continue;
    }
    if (roots.some((root) => inside(root, real))) return real;
    throw outside;
  }
  const where = firstMissing && (await realLocation(firstMissing));
  if (where && roots.some((root) => inside(root, where))) throw new ApiProblem(404, 'file-not-found', `csv_file ${JSON.stringify(csvFile)} does not exist`);
  throw outside;
}
