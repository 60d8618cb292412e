// Entry point of the `vigil` command. The only place that reads the environment and the process'
// arguments; everything else takes them as parameters.
import { runCli } from './cli.js'
import { exitQuietlyOnClosedPipe } from './pipes.js'

exitQuietlyOnClosedPipe(process.stdout)
exitQuietlyOnClosedPipe(process.stderr)

const code = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
})
process.exitCode = code
