import {readFileSync, rmSync} from 'node:fs'
import {
  buildCommand,
  loginCommand,
  pushCommand,
  pushDigestFile,
  type BuilderCommand,
  type BuilderSettings,
} from '../plan/builder-commands.js'
import type {BuildStep} from '../plan/build-step.js'
import {BuildScheduler} from './build-scheduler.js'
import type {ContainerEngine, LogSink} from '../ports.js'
import {childEnvironment, runCommand} from './run-command.js'
import {withSecretFiles, type SecretValues} from './secret-files.js'

/**
 * buildah or podman: no daemon, images in the user's container storage. Logins go to
 * `<private docker config>/config.json` through `--authfile`, the same file the docker engine
 * uses, so the post step's cleanup covers every builder. `--tls-verify=false` only for loopback
 * registries (as Docker treats them); base images follow the system's registries.conf.
 *
 * Builds that could share a cache entry run one after another (podman caches layers by default;
 * see BuildScheduler), others side by side; pushes run in parallel.
 */
export class BuildahEngine implements ContainerEngine {
  readonly pushesWhileBuilding = false
  readonly exportsRegistryCache = true
  readonly name: string
  private readonly scheduler: BuildScheduler

  constructor(
    private readonly settings: BuilderSettings,
    private readonly workspace: string,
    /** The build secrets' values, written to their files for each build. */
    private readonly secrets: SecretValues = new Map(),
  ) {
    this.name = settings.builder
    this.scheduler = new BuildScheduler(workspace)
  }

  async login(host: string, username: string, password: string): Promise<void> {
    await this.run(loginCommand(this.settings, host, username), {stdin: password})
  }

  build(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    return this.scheduler.run(step.file, async () => {
      const command = buildCommand(this.settings, step)
      await withSecretFiles(this.settings, step, this.secrets, () =>
        this.run(command, {cwd: this.workspace, log}),
      )
      return {}
    })
  }

  async push(ref: string, log: LogSink): Promise<{digest: string}> {
    const digestFile = pushDigestFile(this.settings, ref)
    try {
      await this.run(pushCommand(this.settings, ref) as BuilderCommand, {log})
      const digest = readFileSync(digestFile, 'utf8').trim()
      log(`${ref}: digest: ${digest}`)
      return {digest}
    } finally {
      rmSync(digestFile, {force: true})
    }
  }

  private run(
    command: BuilderCommand,
    options: {stdin?: string; log?: LogSink; cwd?: string},
  ): ReturnType<typeof runCommand> {
    // REGISTRY_AUTH_FILE too, so a FROM of a private image in our registry finds the login.
    return runCommand(command.tool, command.args, {
      ...options,
      env: childEnvironment({
        ...command.env,
        REGISTRY_AUTH_FILE: `${this.settings.configDir}/config.json`,
      }),
    })
  }
}
