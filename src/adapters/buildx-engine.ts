import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {ActionError} from '../errors.js'
import {buildArgArguments, DockerEngine} from './docker-engine.js'
import type {BuildStep, LogSink} from './ports.js'
import {childEnvironment, runCommand} from './run-command.js'

/** Names the docker CLI or BuildKit reads themselves: such build args stay in argv. */
const ENVIRONMENT_BUILDX_NEEDS =
  /^(PATH|HOME|TMPDIR|DOCKER_\w*|BUILDX_\w*|BUILDKIT_\w*|LD_\w*|HTTPS?_PROXY|NO_PROXY|SOURCE_DATE_EPOCH)$/i

/** The variables the `type=gha` cache backend reads (the runner sets them for actions). */
const GHA_CACHE_VARIABLES = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_URL',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_SERVICE_V2',
] as const

export interface BuildxOptions {
  /** Attestations (`--provenance`); off by default so a push is a plain image manifest. */
  provenance: boolean
  /** The GitHub cache service's variables when the runner offers it; no cache flags otherwise. */
  ghaCache?: Record<string, string>
}

/** The `type=gha` cache environment, or undefined when this runner has no cache service. */
export function ghaCacheEnvironment(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  if (!env.ACTIONS_CACHE_URL && !env.ACTIONS_RESULTS_URL) return undefined
  const picked: Record<string, string> = {}
  for (const name of GHA_CACHE_VARIABLES) {
    const value = env[name]
    if (value) picked[name] = value
  }
  return picked
}

/**
 * The arguments of one `docker buildx build`. With `push`, the immutable refs are pushed while
 * building (moving tags are copied in the registry later); with no immutable tag at all, the
 * image is pushed by digest only, so nothing a user pulls by tag changes before the release is
 * complete. Each image gets its own cache scope, so images of one run do not evict each other.
 */
export function buildxArguments(
  step: BuildStep,
  options: BuildxOptions,
  metadataFile: string,
): {args: string[]; env: Record<string, string>} {
  const args = ['buildx', 'build', '--file', step.file]
  if (step.target) args.push('--target', step.target)
  if (step.platforms.length > 0) args.push('--platform', step.platforms.join(','))
  args.push(`--provenance=${options.provenance}`)
  const {args: buildArgs, env} = buildArgArguments(step.buildArgs, ENVIRONMENT_BUILDX_NEEDS)
  args.push(...buildArgs)
  for (const [key, value] of Object.entries(step.labels)) args.push('--label', `${key}=${value}`)
  if (options.ghaCache) {
    args.push('--cache-from', `type=gha,scope=${step.image}`)
    args.push('--cache-to', `type=gha,mode=max,scope=${step.image}`)
  }
  for (const ref of step.pushRefs) args.push('--tag', ref)
  if (step.push) {
    if (step.pushRefs.length > 0) args.push('--push')
    else
      args.push(
        '--output',
        `type=image,name=${step.imageName},push-by-digest=true,name-canonical=true,push=true`,
      )
  }
  args.push('--metadata-file', metadataFile, step.context)
  return {args, env}
}

/** The pushed manifest (or index) digest from a `--metadata-file`; undefined when none. */
export function parseBuildxMetadata(text: string): {digest?: string} {
  let metadata: unknown
  try {
    metadata = JSON.parse(text)
  } catch {
    throw new ActionError(`buildx wrote a metadata file that is not JSON: ${text.slice(0, 200)}`)
  }
  const digest = (metadata as Record<string, unknown> | null)?.['containerimage.digest']
  if (digest === undefined) return {}
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new ActionError(`buildx reported an unusable image digest '${String(digest)}'`)
  return {digest}
}

/** `docker buildx build --push`: BuildKit, several platforms, per-image GitHub cache. */
export class BuildxEngine extends DockerEngine {
  override readonly name = 'buildx'
  override readonly pushesWhileBuilding = true

  constructor(
    configDir: string,
    workspace: string,
    private readonly tempDir: string,
    private readonly options: BuildxOptions,
  ) {
    super(configDir, workspace)
  }

  // BuildKit builds concurrently with a content-addressed shared cache: no need to queue.
  override async build(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    const dir = mkdtempSync(join(this.tempDir, 'ocir-push-buildx-'))
    try {
      const metadataFile = join(dir, 'metadata.json')
      const {args, env} = buildxArguments(step, this.options, metadataFile)
      await runCommand('docker', args, {
        env: childEnvironment({
          ...env,
          ...this.options.ghaCache,
          DOCKER_CONFIG: this.configDir,
          DOCKER_CLI_HINTS: 'false',
        }),
        cwd: this.workspace,
        log,
      })
      return step.push ? parseBuildxMetadata(readFileSync(metadataFile, 'utf8')) : {}
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }
}
