/**
 * Reading a text file with a size limit, checked before the text is in memory: a 2 GB file or
 * /dev/zero is refused as too large instead of failing (or hanging) while it is read whole.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** A file's text; or why it was not read: `tooLarge` (its size in bytes, when known) or the read `error`. */
export type ReadText = { text: string } | { tooLarge: number | undefined } | { error: unknown };

/** The size a regular file reports, or undefined for one that cannot tell (a device, a pipe) and is read up to the limit instead. */
function reportedSize(stats: { isFile(): boolean; isDirectory(): boolean; size: number }): number | undefined {
  if (stats.isDirectory()) throw Object.assign(new Error('EISDIR: illegal operation on a directory'), { code: 'EISDIR' });
  return stats.isFile() ? stats.size : undefined;
}

/** Reads `path` as UTF-8, refusing (without reading on) a file of more than `maxBytes` bytes. Never throws. */
export async function readTextFile(path: string, maxBytes: number): Promise<ReadText> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const size = reportedSize(await handle.stat());
    if (size !== undefined && size > maxBytes) return { tooLarge: size };
    // Up to one byte past the limit: the size a regular file reports may be stale, a device reports none.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let bytesRead = -1; bytesRead !== 0 && length < buffer.length; length += bytesRead) {
      ({ bytesRead } = await handle.read(buffer, length, buffer.length - length, null));
    }
    return length > maxBytes ? { tooLarge: undefined } : { text: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    return { error };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** {@link readTextFile}, synchronously. */
export function readTextFileSync(path: string, maxBytes: number): ReadText {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    const size = reportedSize(fstatSync(descriptor));
    if (size !== undefined && size > maxBytes) return { tooLarge: size };
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let bytesRead = -1; bytesRead !== 0 && length < buffer.length; length += bytesRead) {
      bytesRead = readSync(descriptor, buffer, length, buffer.length - length, null);
    }
    return length > maxBytes ? { tooLarge: undefined } : { text: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    return { error };
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
