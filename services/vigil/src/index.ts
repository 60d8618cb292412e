// The `vigil` command and the function that runs every service in one process.
export { type CliIo, runCli } from './cli.js'
export { type RunningVigil, type StartOptions, startVigil } from './run.js'
