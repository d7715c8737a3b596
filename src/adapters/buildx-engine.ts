import {readFileSync, rmSync} from 'node:fs'
import {ActionError} from '../errors.js'
import {buildCommand, buildxMetadataFile, type BuilderSettings} from '../plan/builder-commands.js'
import type {BuildStep} from '../plan/build-step.js'
import {DockerEngine} from './docker-engine.js'
import {dockerToolEnvironment} from './docker-config.js'
import type {LogSink} from '../ports.js'

/** The variables the `type=gha` cache backend reads (the runner sets them for actions). */
const GHA_CACHE_VARIABLES = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_URL',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_SERVICE_V2',
] as const

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

  /** Without the GitHub cache, on a builder that can export one. */
  override get exportsRegistryCache(): boolean {
    return !this.settings.ghaCache && this.settings.buildx?.cacheExport !== false
  }

  constructor(
    settings: BuilderSettings,
    workspace: string,
    /** The user's buildx dir: their builders, and the one this run may have created. */
    private readonly buildxConfig: string,
    /** The GitHub cache service's variables, handed to buildx when `settings.ghaCache`. */
    private readonly ghaCache: Record<string, string> = {},
  ) {
    super(settings, workspace)
  }

  protected override toolEnvironment(): Record<string, string> {
    return dockerToolEnvironment({
      configDir: this.settings.configDir,
      buildxConfig: this.buildxConfig,
    })
  }

  // BuildKit builds concurrently with a content-addressed shared cache: no need to queue.
  override async build(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    const metadataFile = buildxMetadataFile(this.settings, step)
    try {
      await this.run(buildCommand(this.settings, step), {
        log,
        cwd: this.workspace,
        env: this.ghaCache,
      })
      if (!step.push) return {}
      const {digest} = parseBuildxMetadata(readFileSync(metadataFile, 'utf8'))
      if (!digest)
        throw new ActionError(
          `image '${step.image}': buildx (builder '${this.settings.buildx?.builder ?? 'current'}') pushed without reporting a digest in its metadata file`,
          'the builder may not support pushing (the docker driver with push by digest): add docker/setup-buildx-action before this step, or give the image an immutable tag (e.g. type=sha)',
        )
      return {digest}
    } finally {
      rmSync(metadataFile, {force: true})
    }
  }
}
