import type {BuildStep, ContainerEngine, LogSink} from './ports.js'
import {childEnvironment, runCommand} from './run-command.js'

/** Names the docker CLI itself reads: such build args cannot travel in its environment. */
const ENVIRONMENT_THE_CLI_NEEDS = /^(PATH|HOME|TMPDIR|DOCKER_\w*|LD_\w*|HTTPS?_PROXY|NO_PROXY)$/i

/** The Docker CLI with the classic builder (no buildx needed). */
export class DockerEngine implements ContainerEngine {
  readonly name = 'docker'

  constructor(
    private readonly configDir: string,
    private readonly workspace: string,
  ) {}

  async login(host: string, username: string, password: string): Promise<void> {
    await runCommand('docker', ['login', host, '--username', username, '--password-stdin'], {
      env: this.env(),
      stdin: password,
    })
  }

  async build(step: BuildStep, log: LogSink): Promise<void> {
    const args = ['build', '--file', step.file]
    if (step.target) args.push('--target', step.target)
    if (step.platforms.length === 1) args.push('--platform', step.platforms[0])
    // Build-arg values travel in the environment (`--build-arg NAME` reads it), not in argv,
    // where any process listing would show them.
    const buildArgEnv: Record<string, string> = {}
    for (const [name, value] of Object.entries(step.buildArgs)) {
      if (ENVIRONMENT_THE_CLI_NEEDS.test(name)) {
        args.push('--build-arg', `${name}=${value}`)
      } else {
        args.push('--build-arg', name)
        buildArgEnv[name] = value
      }
    }
    for (const [key, value] of Object.entries(step.labels)) args.push('--label', `${key}=${value}`)
    for (const ref of step.refs) args.push('--tag', ref)
    args.push(step.context)
    await runCommand('docker', args, {env: this.env(buildArgEnv), cwd: this.workspace, log})
  }

  async push(ref: string, log: LogSink): Promise<{digest: string}> {
    const {stdout} = await runCommand('docker', ['push', ref], {env: this.env(), log})
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1] ?? ''
    return {digest}
  }

  private env(extra: Record<string, string> = {}): Record<string, string> {
    return childEnvironment({
      ...extra,
      DOCKER_CONFIG: this.configDir,
      DOCKER_BUILDKIT: '0',
      DOCKER_CLI_HINTS: 'false',
    })
  }
}
