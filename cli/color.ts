/**
 * Whether the CLI colours a stream, by the conventions terminals and CI agree on: `FORCE_COLOR`
 * turns colour on (`0` or `false` turn it off) even when the stream is not a terminal; `NO_COLOR`
 * (https://no-color.org) turns it off; otherwise a terminal that can show colours gets them.
 */
import { inspect } from 'node:util';

/** The styles the CLI paints with. */
export type Style = 'bold' | 'red' | 'yellow' | 'cyan' | 'magenta' | 'gray';

/** True when output to `stream` is coloured (see the module comment for the rules). */
export function colorEnabled(stream: NodeJS.WriteStream, env: Record<string, string | undefined> = process.env): boolean {
  const force = env.FORCE_COLOR;
  // Node's own rule: FORCE_COLOR wins over NO_COLOR; an empty FORCE_COLOR also forces colour.
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (!stream.isTTY) return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors(env) : true;
}

/** `text` in `style` when `color` is on, else unchanged. Written out here, so no Node version second-guesses the choice. */
export function paint(color: boolean, style: Style, text: string): string {
  if (!color) return text;
  const [open, close] = inspect.colors[style] ?? [0, 0];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
