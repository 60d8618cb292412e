// Entry point of the `vigil` command. The only place that reads the environment and the process'
// arguments; everything else takes them as parameters.
import { runCli } from './cli.js'
import { launcherProcesses, whenAnyEnds } from './launcher-exit.js'
import { exitQuietlyOnClosedPipe } from './pipes.js'

exitQuietlyOnClosedPipe(process.stdout)
exitQuietlyOnClosedPipe(process.stderr)

// Started by a package manager (`pnpm vigil start`): stop as on SIGTERM when it is killed, so that a
// killed wrapper never leaves Vigil holding the port and the data directory.
whenAnyEnds(launcherProcesses(process.env), (gone) => {
  process.stderr.write(`vigil: process ${gone.pid}, which started this one, has ended; stopping\n`)
  process.kill(process.pid, 'SIGTERM')
})

const code = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
})
process.exitCode = code
