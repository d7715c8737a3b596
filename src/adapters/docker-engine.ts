import {rmSync, writeFileSync} from 'node:fs'
import {describeFailure} from '../errors.js'
import {
  buildCommand,
  cachePullCommands,
  labelledDockerfile,
  hostOf,
  labelLine,
  layersCommand,
  loginCommand,
  pushCommand,
  type BuilderCommand,
  type BuilderSettings,
} from '../plan/builder-commands.js'
import type {BuildStep} from '../plan/build-step.js'
import {escapeCharacter} from '../plan/dockerfile-inputs.js'
import {MAX_DOCKERFILE_BYTES, readCheckoutFile} from '../config/checkout-files.js'
import {BuildScheduler} from './build-scheduler.js'
import {LayerGate, layerInRegistry} from './layer-gate.js'
import type {ContainerEngine, LogSink} from '../ports.js'
import {childEnvironment, runCommand} from './run-command.js'
import {engineGet, engineSocketOf, imageInspectPath} from './docker-socket.js'

/**
 * The Docker CLI with the classic builder (no buildx needed).
 *
 * The legacy builder's layer cache is shared and first-come: when two builds with the same first
 * steps run at once, each may create its own layer for those steps (with its own `created` time),
 * and whichever lands in the cache decides what later runs reuse, so the same commit could yield
 * different digests from one run to the next. Builds that could share a step therefore run one
 * after another in plan order (the first image creates the shared steps, the others reuse them);
 * builds with nothing in common run side by side (BuildScheduler). Pushes overlap, but a layer
 * two images share is uploaded by one push; the other waits for it and mounts it (LayerGate).
 */
export class DockerEngine implements ContainerEngine {
  readonly name: string = 'docker'
  readonly pushesWhileBuilding: boolean = false
  /** The classic builder keeps layers in the engine only. */
  get exportsRegistryCache(): boolean {
    return false
  }
  private readonly scheduler: BuildScheduler
  private readonly layerGate = new LayerGate()
  /** The engine's socket where the CLI would use it; null: ask the CLI (see layersOf). */
  private engineSocket?: string | null

  constructor(
    protected readonly settings: BuilderSettings,
    protected readonly workspace: string,
  ) {
    this.scheduler = new BuildScheduler(workspace)
  }

  async login(host: string, username: string, password: string): Promise<void> {
    await this.run(loginCommand(this.settings, host, username), {stdin: password})
  }

  build(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    return this.scheduler.run(step.file, () => this.buildNow(step, log))
  }

  private async buildNow(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    await this.pullCache(step, log)
    const command = buildCommand(this.settings, step)
    const labelled = labelledDockerfile(this.settings, step)
    if (labelled) writeLabelledDockerfile(this.workspace, step.file, labelled, step)
    try {
      await this.run(command, {log, cwd: this.workspace})
    } finally {
      if (labelled) rmSync(labelled, {force: true})
    }
    return {}
  }

  /** A cache image that cannot be pulled only costs its layers: the build goes on without them. */
  private async pullCache(step: BuildStep, log: LogSink): Promise<void> {
    for (const pull of cachePullCommands(this.settings, step)) {
      try {
        await this.run(pull, {log})
      } catch (err) {
        log(
          `cache: ${pull.args.at(-1)} not pulled, built without its layers: ${describeFailure(err)}`,
        )
      }
    }
  }

  async push(ref: string, log: LogSink): Promise<{digest: string}> {
    const gate = this.layerGate.enter(hostOf(ref), await this.layersOf(ref))
    try {
      await gate.ready
      const {stdout} = await this.run(pushCommand(this.settings, ref) as BuilderCommand, {
        log: (line) => {
          const layer = layerInRegistry(line)
          if (layer) gate.done(layer)
          log(line)
        },
      })
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1] ?? ''
      return {digest}
    } finally {
      gate.finish()
    }
  }

  /**
   * The image's diff IDs; none when the engine cannot say (the push then just goes ahead). Asked
   * over the engine's socket where the CLI would use it, else with `docker image inspect`.
   */
  private async layersOf(ref: string): Promise<string[]> {
    // Which socket, if any, is settled once per run: the environment and the context stay put.
    this.engineSocket ??= engineSocketOf(childEnvironment(), this.settings.configDir) ?? null
    const socket = this.engineSocket
    const viaSocket = socket
      ? await engineGet(socket, imageInspectPath(ref)).then(
          (image) => (image as {RootFS?: {Layers?: unknown}} | null)?.RootFS?.Layers,
          () => undefined,
        )
      : undefined
    try {
      const layers: unknown =
        viaSocket ?? JSON.parse((await this.run(layersCommand(ref), {})).stdout.trim() || '[]')
      return Array.isArray(layers) ? layers.filter((id) => typeof id === 'string') : []
    } catch {
      return []
    }
  }

  protected run(
    command: BuilderCommand,
    options: {stdin?: string; log?: LogSink; cwd?: string; env?: Record<string, string>},
  ): ReturnType<typeof runCommand> {
    return runCommand(command.tool, command.args, {
      ...options,
      env: childEnvironment({
        ...command.env,
        ...options.env,
        ...this.toolEnvironment(),
      }),
    })
  }

  /** What the docker CLI is told besides the build args: our config dir, the classic builder. */
  protected toolEnvironment(): Record<string, string> {
    return {
      DOCKER_CONFIG: this.settings.configDir,
      DOCKER_BUILDKIT: '0',
      DOCKER_CLI_HINTS: 'false',
    }
  }
}

/**
 * Writes the Dockerfile with one LABEL line appended. A Dockerfile with an `escape` directive
 * (at its top, where docker reads directives) gets its LABEL line quoted with that escape
 * character. The Dockerfile is read as a file of the checkout: a regular file in the workspace,
 * at most 1 MiB, never a pipe that would block the build.
 */
function writeLabelledDockerfile(
  workspace: string,
  dockerfile: string,
  copy: string,
  step: BuildStep,
): void {
  const text = readCheckoutFile(dockerfile, {
    what: 'Dockerfile',
    maxBytes: MAX_DOCKERFILE_BYTES,
    bounds: {workspace},
  })
  const escape = escapeCharacter(text)
  writeFileSync(copy, `${text.replace(/\s*$/, '')}\n${labelLine(step.labels, escape)}\n`, {
    mode: 0o600,
  })
}
