// Post step: runs after the post steps of every later step, ocir-push's included (see action.yml).
import {execFileSync} from 'node:child_process'
import process from 'node:process'

const PREFIX = 'ocir-push-'
const docker = (...args) => execFileSync('docker', args, {encoding: 'utf8'})
const say = (line) => process.stdout.write(`${line}\n`)

// A docker-container builder named N runs in the container buildx_buildkit_N0, with its state in
// the volume buildx_buildkit_N0_state. The container is the engine's, so it is seen whichever
// docker config dir ocir-push registered the builder in.
const containers = docker('ps', '--all', '--format', '{{.Names}}')
  .split('\n')
  .filter((name) => name.startsWith(`buildx_buildkit_${PREFIX}`))
const volumes = docker('volume', 'ls', '--format', '{{.Name}}')
  .split('\n')
  .filter((name) => name.startsWith(`buildx_buildkit_${PREFIX}`))
// Builders registered in the runner's own docker config: a builder's line starts with its name,
// its nodes' lines are indented.
const builders = docker('buildx', 'ls')
  .split('\n')
  .filter((line) => line.startsWith(PREFIX))
  .map((line) => line.split(/\s+/)[0].replace(/\*$/, ''))

say(docker('buildx', 'ls').trimEnd())
if (volumes.length > 0) {
  say(`::warning::BuildKit state volumes outlived ocir-push's post step: ${volumes.join(', ')}`)
}
if (containers.length > 0 || builders.length > 0) {
  say(
    `::error::ocir-push's post step left its builder behind: containers [${containers.join(', ')}], builders [${builders.join(', ')}]`,
  )
  process.exitCode = 1
} else {
  say(
    'After the ocir-push post steps no ocir-push- builder and no BuildKit container of one is left.',
  )
}
