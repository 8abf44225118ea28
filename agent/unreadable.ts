import { userInfo } from 'node:os';

/** Why a file could not be read, in words; a permission problem names the user that tried. */
export function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return `permission denied for user ${userInfo().username}, which reads it`;
  return code ?? String(err);
}
