/**
 * Where the browser tests find Chromium: CHROMIUM_PATH when set, else Debian's (/usr/bin/chromium)
 * or another system install, else a browser playwright-core downloaded itself. Where there is none,
 * the browser tests fail with the one message below, which says how to get it.
 */
import { accessSync, constants } from 'node:fs';
import { chromium } from 'playwright-core';

const SYSTEM_LOCATIONS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function playwrightsChromium(): string[] {
  try {
    return [chromium.executablePath()];
  } catch {
    return [];
  }
}

/** `locations` (the system's, then playwright-core's download) are where to look when CHROMIUM_PATH is not set. */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  locations: string[] = [...SYSTEM_LOCATIONS, ...playwrightsChromium()],
): { path: string } | { missing: string } {
  const configured = env.CHROMIUM_PATH;
  if (configured) {
    return executable(configured)
      ? { path: configured }
      : {
          missing: `CHROMIUM_PATH is ${configured}, which is not an executable file. Point it at a Chromium or Chrome binary, or unset it to use /usr/bin/chromium.`,
        };
  }
  const found = locations.find(executable);
  if (found) return { path: found };
  return {
    missing: `The browser tests need Chromium, and none is installed (looked in ${locations.join(', ')}). Install Debian's: \`apt-get install -y chromium\` (as root; .ci/run does it), or set CHROMIUM_PATH to a Chromium or Chrome binary.`,
  };
}

/** The Chromium binary, or an error that says how to get one. */
export function chromiumPath(): string {
  const chromiumFound = findChromium();
  if ('missing' in chromiumFound) throw new Error(chromiumFound.missing);
  return chromiumFound.path;
}
