import type {Builder, CacheMode} from '../config/action-config.js'
import {ActionError, describeFailure} from '../errors.js'
import {BuildahEngine} from './buildah-engine.js'
import {BuildxEngine, ghaCacheEnvironment} from './buildx-engine.js'
import {DockerEngine} from './docker-engine.js'
import type {BuilderSettings} from '../plan/builder-commands.js'
import type {ContainerEngine} from './ports.js'
import {childEnvironment, runCommand} from './run-command.js'

export interface EngineSettings {
  /** This step's private docker config dir (also buildah's and podman's `--authfile` dir). */
  configDir: string
  workspace: string
  /** Registries spoken to over plain HTTP (loopback). */
  insecureHosts: string[]
  provenance: boolean
  /** `none`: no cache at all (not even buildx's GitHub cache). */
  cache?: CacheMode
  /** The runner's environment, for the GitHub cache service variables. */
  env: NodeJS.ProcessEnv
}

/** Runs `tool args` and says whether it worked; the failure's last line when it did not. */
export type ToolProbe = (tool: string, args: string[]) => Promise<{ok: boolean; detail: string}>

/** The command that tells whether each builder can run here. */
const PROBES: Record<Exclude<Builder, 'auto'>, [string, string[]]> = {
  buildx: ['docker', ['buildx', 'version']],
  docker: ['docker', ['info', '--format', '{{.ServerVersion}}']],
  buildah: ['buildah', ['version']],
  podman: ['podman', ['version']],
}

/** `auto` tries these in order. */
const AUTO_ORDER = ['buildx', 'docker', 'buildah', 'podman'] as const

export async function probeTool(
  tool: string,
  args: string[],
): Promise<{ok: boolean; detail: string}> {
  try {
    await runCommand(tool, args, {env: childEnvironment({DOCKER_CLI_HINTS: 'false'})})
    return {ok: true, detail: ''}
  } catch (err) {
    return {ok: false, detail: describeFailure(err)}
  }
}

/**
 * The engine for the `builder` input. An explicit builder that cannot run here is an error that
 * says why; `auto` takes the first that works: buildx, docker, buildah, podman.
 */
export async function selectEngine(
  builder: Builder,
  settings: EngineSettings,
  probe: ToolProbe = probeTool,
): Promise<ContainerEngine> {
  const candidates = builder === 'auto' ? AUTO_ORDER : [builder]
  const refused: string[] = []
  for (const candidate of candidates) {
    const [tool, args] = PROBES[candidate]
    const {ok, detail} = await probe(tool, args)
    if (ok) return createEngine(candidate, settings)
    refused.push(`${candidate} (\`${tool} ${args.join(' ')}\`: ${detail || 'failed'})`)
  }
  throw new ActionError(
    builder === 'auto'
      ? `no image builder works on this runner: ${refused.join('; ')}`
      : `builder '${builder}' does not work on this runner: ${refused.join('; ')}`,
    builder === 'auto'
      ? 'install Docker (GitHub-hosted Ubuntu runners have it; add docker/setup-buildx-action for buildx), buildah or podman'
      : `install ${builder} on the runner, or set builder: auto to use whichever builder is present`,
  )
}

export function createEngine(
  builder: Exclude<Builder, 'auto'>,
  settings: EngineSettings,
): ContainerEngine {
  const ghaCache =
    builder === 'buildx' && settings.cache !== 'none'
      ? ghaCacheEnvironment(settings.env)
      : undefined
  const builderSettings = builderSettingsOf(builder, settings, ghaCache !== undefined)
  switch (builder) {
    case 'buildx':
      return new BuildxEngine(builderSettings, settings.workspace, ghaCache)
    case 'docker':
      return new DockerEngine(builderSettings, settings.workspace)
    case 'buildah':
    case 'podman':
      return new BuildahEngine(builderSettings, settings.workspace)
  }
}

/** What the command lines of one builder depend on; a dry run passes its own config dir. */
export function builderSettingsOf(
  builder: Exclude<Builder, 'auto'>,
  settings: Pick<EngineSettings, 'configDir' | 'insecureHosts' | 'provenance'>,
  ghaCache: boolean,
): BuilderSettings {
  return {
    builder,
    configDir: settings.configDir,
    insecureHosts: settings.insecureHosts,
    provenance: settings.provenance,
    ghaCache,
  }
}
