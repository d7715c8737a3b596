import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {BuildScheduler} from './build-scheduler.js'
import {ActionError} from '../errors.js'
import {buildArgArguments} from './docker-engine.js'
import type {BuildStep, ContainerEngine, LogSink} from './ports.js'
import {childEnvironment, runCommand} from './run-command.js'

/** Names buildah or podman read themselves: such build args stay in argv. */
const ENVIRONMENT_THE_TOOL_NEEDS =
  /^(PATH|HOME|TMPDIR|XDG_\w*|BUILDAH_\w*|CONTAINERS_\w*|STORAGE_\w*|REGISTRY_AUTH_FILE|LD_\w*|HTTPS?_PROXY|NO_PROXY)$/i

export type DaemonlessTool = 'buildah' | 'podman'

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
  private readonly scheduler: BuildScheduler

  constructor(
    readonly name: DaemonlessTool,
    private readonly configDir: string,
    private readonly workspace: string,
    private readonly tempDir: string,
    /** Hosts spoken to over plain HTTP (loopback registries). */
    private readonly insecureHosts: readonly string[],
  ) {
    this.scheduler = new BuildScheduler(workspace)
  }

  async login(host: string, username: string, password: string): Promise<void> {
    await runCommand(
      this.name,
      [
        'login',
        '--authfile',
        this.authFile,
        ...this.tlsVerify(host),
        '--username',
        username,
        '--password-stdin',
        host,
      ],
      {env: this.env(), stdin: password},
    )
  }

  build(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    return this.scheduler.run(step.file, () => this.buildNow(step, log))
  }

  private async buildNow(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    const {args, env} = daemonlessBuildArguments(this.name, step, this.authFile)
    await runCommand(this.name, args, {env: this.env(env), cwd: this.workspace, log})
    return {}
  }

  async push(ref: string, log: LogSink): Promise<{digest: string}> {
    const dir = mkdtempSync(join(this.tempDir, `ocir-push-${this.name}-`))
    try {
      const digestFile = join(dir, 'digest')
      const args = ['push', '--authfile', this.authFile, ...this.tlsVerify(hostOf(ref))]
      // Our retry policy is the only one: buildah's own (3 tries, 2 s) would multiply it.
      if (this.name === 'buildah') args.push('--retry', '0')
      args.push('--digestfile', digestFile, ref, `docker://${ref}`)
      await runCommand(this.name, args, {env: this.env(), log})
      const digest = readFileSync(digestFile, 'utf8').trim()
      log(`${ref}: digest: ${digest}`)
      return {digest}
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }

  private get authFile(): string {
    return join(this.configDir, 'config.json')
  }

  private tlsVerify(host: string): string[] {
    return this.insecureHosts.includes(host) ? ['--tls-verify=false'] : []
  }

  private env(extra: Record<string, string> = {}): Record<string, string> {
    // REGISTRY_AUTH_FILE too, so a FROM of a private image in our registry finds the login.
    return childEnvironment({...extra, REGISTRY_AUTH_FILE: this.authFile})
  }
}

/** `buildah bud …` / `podman build …` for one image. Docker format keeps HEALTHCHECK and SHELL. */
export function daemonlessBuildArguments(
  tool: DaemonlessTool,
  step: BuildStep,
  authFile: string,
): {args: string[]; env: Record<string, string>} {
  if (step.platforms.length > 1) {
    throw new ActionError(
      `image '${step.image}': the ${tool} builder builds one platform at a time, not ${step.platforms.join(', ')}`,
      'use builder: buildx for multi-platform images, or one platform per runner with stage: platform',
    )
  }
  const args = [tool === 'buildah' ? 'bud' : 'build', '--authfile', authFile, '--format', 'docker']
  args.push('--file', step.file)
  if (step.target) args.push('--target', step.target)
  if (step.platforms.length === 1) args.push('--platform', step.platforms[0])
  if (step.sourceDateEpoch !== undefined) args.push('--timestamp', String(step.sourceDateEpoch))
  const {args: buildArgs, env} = buildArgArguments(step.buildArgs, ENVIRONMENT_THE_TOOL_NEEDS)
  args.push(...buildArgs)
  for (const [key, value] of Object.entries(step.labels)) args.push('--label', `${key}=${value}`)
  for (const ref of step.refs) args.push('--tag', ref)
  args.push(step.context)
  return {args, env}
}

/** The registry host of `host[:port]/path:tag`. */
export function hostOf(ref: string): string {
  return ref.slice(0, ref.indexOf('/'))
}
