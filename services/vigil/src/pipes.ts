// What every command does when the reader of its output goes away (`vigil news scan feed.xml --json |
// head -1`): stop at once and quietly, as command-line tools do, instead of dying on an unhandled EPIPE.

/** The exit code of a process ended by SIGPIPE in a shell (128 + 13), which `set -o pipefail` expects. */
export const CLOSED_PIPE_EXIT_CODE = 141

/**
 * Makes a closed pipe on `stream` (EPIPE) end the process with code 141 and no output; any other write
 * error is rethrown. Node ignores SIGPIPE, so without this the failed write surfaces as an 'error' event
 * nobody handles, and the process dies with a stack trace. Long-running services log through pino, whose
 * own stdout destination already drops output once the pipe is gone.
 */
export function exitQuietlyOnClosedPipe(
  stream: NodeJS.WriteStream,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      exit(CLOSED_PIPE_EXIT_CODE)
      return
    }
    throw error
  })
}
