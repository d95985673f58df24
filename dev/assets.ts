/**
 * The dev page's files (HTML, CSS, JS), served from this package: nothing is fetched from anywhere
 * else. They live in dev/assets/, next to this module in the sources and two folders up from dist/dev/.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Every file the page may ask for, with its content type. */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'chat.js': 'text/javascript; charset=utf-8',
  'drawing.js': 'text/javascript; charset=utf-8',
  'escalations.js': 'text/javascript; charset=utf-8',
  'latest.js': 'text/javascript; charset=utf-8',
  'threads.js': 'text/javascript; charset=utf-8',
  'thread-url.js': 'text/javascript; charset=utf-8',
  'time-travel.js': 'text/javascript; charset=utf-8',
  'trace.js': 'text/javascript; charset=utf-8',
  'visible.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

function assetsDir(): string {
  for (const candidate of ['./assets/', '../../dev/assets/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error('The dev page files (dev/assets/) are missing from this installation of Switchboard.');
}

/** The asset called `name`, or undefined for a name the page does not have. */
export async function readAsset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (type === undefined) return undefined;
  return { body: await readFile(`${assetsDir()}${name}`), type };
}
