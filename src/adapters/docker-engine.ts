import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {ActionError} from '../errors.js'
import {BuildScheduler} from './build-scheduler.js'
import type {BuildStep, ContainerEngine, LogSink} from './ports.js'
import {childEnvironment, runCommand} from './run-command.js'

/** Names the docker CLI itself reads: such build args cannot travel in its environment. */
const ENVIRONMENT_THE_CLI_NEEDS = /^(PATH|HOME|TMPDIR|DOCKER_\w*|LD_\w*|HTTPS?_PROXY|NO_PROXY)$/i

/**
 * The Docker CLI with the classic builder (no buildx needed).
 *
 * The legacy builder's layer cache is shared and first-come: when two builds with the same first
 * steps run at once, each may create its own layer for those steps (with its own `created` time),
 * and whichever lands in the cache decides what later runs reuse, so the same commit could yield
 * different digests from one run to the next. Builds that could share a step therefore run one
 * after another in plan order (the first image creates the shared steps, the others reuse them);
 * builds with nothing in common run side by side (BuildScheduler). Pushes overlap.
 */
export class DockerEngine implements ContainerEngine {
  readonly name: string = 'docker'
  readonly pushesWhileBuilding: boolean = false
  private readonly scheduler: BuildScheduler

  constructor(
    protected readonly configDir: string,
    protected readonly workspace: string,
  ) {
    this.scheduler = new BuildScheduler(workspace)
  }

  async login(host: string, username: string, password: string): Promise<void> {
    await runCommand('docker', ['login', host, '--username', username, '--password-stdin'], {
      env: this.env(),
      stdin: password,
    })
  }

  build(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    return this.scheduler.run(step.file, () => this.buildNow(step, log))
  }

  private async buildNow(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    if (step.platforms.length > 1) {
      throw new ActionError(
        `image '${step.image}': the docker builder builds one platform at a time, not ${step.platforms.join(', ')}`,
        'use builder: buildx (with docker/setup-buildx-action) for multi-platform images, or one platform per runner with stage: platform',
      )
    }
    const args = ['build', '--file', step.file]
    if (step.target) args.push('--target', step.target)
    if (step.platforms.length === 1) args.push('--platform', step.platforms[0])
    const {args: buildArgs, env} = buildArgArguments(step.buildArgs, ENVIRONMENT_THE_CLI_NEEDS)
    args.push(...buildArgs)
    const labelled = step.target
      ? undefined
      : dockerfileWithLabels(resolve(this.workspace, step.file), step.labels)
    if (labelled) args[2] = labelled.file
    else
      for (const [key, value] of Object.entries(step.labels))
        args.push('--label', `${key}=${value}`)
    for (const ref of step.refs) args.push('--tag', ref)
    args.push(step.context)
    try {
      await runCommand('docker', args, {env: this.env(env), cwd: this.workspace, log})
    } finally {
      if (labelled) rmSync(labelled.dir, {recursive: true, force: true})
    }
    return {}
  }

  async push(ref: string, log: LogSink): Promise<{digest: string}> {
    const {stdout} = await runCommand('docker', ['push', ref], {env: this.env(), log})
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1] ?? ''
    return {digest}
  }

  protected env(extra: Record<string, string> = {}): Record<string, string> {
    return childEnvironment({
      ...extra,
      DOCKER_CONFIG: this.configDir,
      DOCKER_BUILDKIT: '0',
      DOCKER_CLI_HINTS: 'false',
    })
  }
}

/**
 * Build-arg values travel in the environment (`--build-arg NAME` reads it), not in argv, where
 * any process listing would show them. Names the tool itself reads stay in argv.
 */
export function buildArgArguments(
  buildArgs: Record<string, string>,
  keepInArgv: RegExp,
): {args: string[]; env: Record<string, string>} {
  const args: string[] = []
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(buildArgs)) {
    if (keepInArgv.test(name)) {
      args.push('--build-arg', `${name}=${value}`)
    } else {
      args.push('--build-arg', name)
      env[name] = value
    }
  }
  return {args, env}
}

/**
 * The classic builder turns every `--label` into a LABEL step of its own, and each step commits a
 * container: eight OCI labels cost eight commits per image, on every run. One LABEL line appended
 * to a copy of the Dockerfile costs one. Not for `--target` builds (the line would land in the
 * last stage) or a Dockerfile with an `escape` directive (quoting would differ): those keep
 * `--label`.
 */
export function dockerfileWithLabels(
  dockerfile: string,
  labels: Record<string, string>,
): {dir: string; file: string} | undefined {
  const entries = Object.entries(labels)
  if (entries.length === 0) return undefined
  let text: string
  try {
    text = readFileSync(dockerfile, 'utf8')
  } catch {
    return undefined
  }
  if (/^\s*#\s*escape\s*=/im.test(text)) return undefined
  const quote = (value: string): string =>
    `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$').replace(/\r?\n/g, '\\n')}"`
  const line = `LABEL ${entries.map(([key, value]) => `${quote(key)}=${quote(value)}`).join(' ')}`
  const dir = mkdtempSync(join(tmpdir(), 'ocir-push-dockerfile-'))
  const file = join(dir, 'Dockerfile')
  writeFileSync(file, `${text.replace(/\s*$/, '')}\n${line}\n`)
  return {dir, file}
}
