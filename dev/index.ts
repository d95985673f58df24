/**
 * `switchboard/dev`: the dev page's server (what `switchboard dev` runs), for starting it from code.
 * Its own entry, so a backend that imports `switchboard` never loads it.
 */
export { startDevServer } from './server.js';
export type { DevServer, DevServerOptions } from './server.js';
