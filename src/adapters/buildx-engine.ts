import {readFileSync, rmSync} from 'node:fs'
import {ActionError} from '../errors.js'
import {buildCommand, buildxMetadataFile, type BuilderSettings} from '../plan/builder-commands.js'
import type {BuildStep} from '../plan/build-step.js'
import {DockerEngine} from './docker-engine.js'
import {dockerToolEnvironment} from './docker-config.js'
import type {LogSink} from '../ports.js'
import {withSecretFiles, type SecretValues} from './secret-files.js'

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
    /** The build secrets' values, written to their files for each build. */
    private readonly secrets: SecretValues = new Map(),
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
      const command = buildCommand(this.settings, step)
      await withSecretFiles(this.settings, step, this.secrets, () =>
        this.run(command, {log, cwd: this.workspace, env: this.ghaCache}),
      )
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
