export { main } from './main.js';
export { CliHost } from './cli-host.js';
