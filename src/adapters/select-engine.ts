import {writeFileSync} from 'node:fs'
import type {AnnotationLevel, Builder, BuildSecret, CacheMode} from '../model/action-config.js'
import {ActionError, describeFailure} from '../errors.js'
import {
  annotationNote,
  builderSettingsOf,
  type BuilderCommand,
  type ConcreteBuilder,
} from '../plan/builder-commands.js'
import type {BuilderSelection} from '../plan/builder-selection.js'
import {
  buildkitdConfig,
  buildxCreateCommand,
  buildxInspectCommand,
  imageStoreCommand,
  buildxRemoveCommand,
  fallBackToDockerDriver,
  parseBuildxInspect,
  planBuildxBuilder,
  type BuildxBuilderInfo,
  type BuildxNeeds,
} from '../plan/buildx-builder.js'
import {isLoopbackHost} from '../plan/registry-target.js'
import {BuildahEngine} from './buildah-engine.js'
import {secretValuesOf} from './secret-files.js'
import {BuildxEngine} from './buildx-engine.js'
import {ghaCacheEnvironment} from '../model/gha-cache.js'
import {dockerToolEnvironment} from './docker-config.js'
import {DockerEngine} from './docker-engine.js'
import type {ContainerEngine} from '../ports.js'
import {childEnvironment, runCommand} from './run-command.js'

export interface EngineSettings {
  /**
   * The docker config dir the builders get: this step's private one in a real run (also
   * buildah's and podman's `--authfile` dir), the user's when only planning.
   */
  configDir: string
  /** Where the user's buildx keeps its builders (BUILDX_CONFIG for every buildx call). */
  buildxConfig: string
  workspace: string
  /** The registry the run pushes to. */
  registryHost: string
  /** Registries spoken to over plain HTTP (loopback). */
  insecureHosts: string[]
  provenance: boolean
  /** `none`: no cache at all (not even buildx's GitHub cache). */
  cache?: CacheMode
  /** The runner's environment, for the GitHub cache service variables and BUILDX_BUILDER. */
  env: NodeJS.ProcessEnv
  /** What the builds will ask of a buildx builder, and whether a private one may be created. */
  buildx: {needs: BuildxNeeds; createBuilder: boolean; privateName: string}
  /** The build secrets: their ids and files go into the command lines, their values to the engine. */
  secrets?: readonly BuildSecret[]
  /** DOCKER_METADATA_ANNOTATIONS_LEVELS; undefined when unset. */
  annotationLevels?: readonly AnnotationLevel[]
}

/** Runs `tool args` with `env` added; throws a CommandError when it fails. */
export type ToolRunner = (
  command: BuilderCommand,
  env: Record<string, string>,
) => Promise<{stdout: string}>

/** The command that tells whether each builder can run here. */
const PROBES: Record<ConcreteBuilder, BuilderCommand> = {
  buildx: {tool: 'docker', args: ['buildx', 'version'], env: {}},
  docker: {tool: 'docker', args: ['info', '--format', '{{.ServerVersion}}'], env: {}},
  buildah: {tool: 'buildah', args: ['version'], env: {}},
  podman: {tool: 'podman', args: ['version'], env: {}},
}

/** `auto` tries these in order. */
const AUTO_ORDER = ['buildx', 'docker', 'buildah', 'podman'] as const

export const runTool: ToolRunner = (command, env) =>
  runCommand(command.tool, command.args, {env: childEnvironment({...command.env, ...env})})

/**
 * The builder for the `builder` input. An explicit builder that cannot run here is an error that
 * says why; `auto` takes the first that works: buildx, docker, buildah, podman. buildx's builder
 * is inspected before use (see planBuildxBuilder); `plan` inspects without bootstrapping and
 * creates nothing.
 */
export async function selectBuilder(
  builder: Builder,
  settings: EngineSettings,
  options: {
    /** Only plan (a dry run): probe with this docker config dir, bootstrap and create nothing. */
    plan?: {probeConfigDir: string}
    run?: ToolRunner
  } = {},
): Promise<BuilderSelection> {
  const run = options.run ?? runTool
  const env = dockerToolEnvironment({
    configDir: options.plan?.probeConfigDir ?? settings.configDir,
    buildxConfig: settings.buildxConfig,
  })
  const plan = options.plan !== undefined
  const candidates = builder === 'auto' ? AUTO_ORDER : [builder]
  const refused: string[] = []
  // The first two candidates are probed at once (for auto: buildx and docker, one of which
  // nearly every runner has); the others only when it comes to them.
  const probes = new Map<ConcreteBuilder, Promise<unknown>>()
  const probeOf = (candidate: ConcreteBuilder): Promise<unknown> => {
    let probe = probes.get(candidate)
    if (!probe) {
      probe = run(PROBES[candidate], env).then(
        () => undefined,
        (err: unknown) => err ?? new Error('failed'),
      )
      probes.set(candidate, probe)
    }
    return probe
  }
  for (const candidate of candidates.slice(0, 2)) void probeOf(candidate)
  for (const candidate of candidates) {
    const probe = PROBES[candidate]
    const err = await probeOf(candidate)
    if (err !== undefined) {
      refused.push(
        `${candidate} (\`${probe.tool} ${probe.args.join(' ')}\`: ${describeFailure(err) || 'failed'})`,
      )
      continue
    }
    if (candidate !== 'buildx') return plainSelection(candidate, settings)
    const info = await inspectBuildx(settings, run, env, plan).catch((err: unknown) => {
      // A builder the user named must be there; otherwise `auto` tries the next builder.
      if (builder === 'buildx' || settings.env.BUILDX_BUILDER) throw err
      refused.push(`buildx (${describeFailure(err)})`)
      return undefined
    })
    if (info) return buildxSelection(info, settings, run, env, plan)
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

async function inspectBuildx(
  settings: EngineSettings,
  run: ToolRunner,
  env: Record<string, string>,
  plan: boolean,
): Promise<BuildxBuilderInfo> {
  try {
    const {stdout} = await run(buildxInspectCommand({bootstrap: !plan}), env)
    const info = parseBuildxInspect(stdout)
    if (info.driver !== 'docker') return info
    // With containerd as the engine's image store, the docker driver can do what it otherwise refuses.
    const store = await run(imageStoreCommand(), env).catch(() => ({stdout: ''}))
    return {...info, containerdStore: store.stdout.includes('io.containerd.snapshotter')}
  } catch (err) {
    if (err instanceof ActionError && err.hint) throw err
    const chosen = settings.env.BUILDX_BUILDER
    throw new ActionError(
      `buildx builder ${chosen ? `'${chosen}' (BUILDX_BUILDER)` : '(the current one)'} is not usable: ${describeFailure(err)}`,
      chosen
        ? 'set BUILDX_BUILDER to a builder that `docker buildx ls` lists, or create it with docker/setup-buildx-action before this step'
        : 'run `docker buildx inspect --bootstrap` on the runner to see why, or set builder: docker',
    )
  }
}

async function buildxSelection(
  info: BuildxBuilderInfo,
  settings: EngineSettings,
  run: ToolRunner,
  env: Record<string, string>,
  plan: boolean,
): Promise<BuilderSelection> {
  const {needs, createBuilder, privateName} = settings.buildx
  let buildx = planBuildxBuilder(info, needs, {createBuilder, privateName})
  const setup: BuilderCommand[] = []
  const notes: string[] = []
  if (buildx.kind === 'create') {
    const insecure = settings.insecureHosts
    const configFile = insecure.length > 0 ? `${settings.configDir}/buildkitd.toml` : undefined
    const create = buildxCreateCommand(buildx.builder, {
      hostNetwork: isLoopbackHost(settings.registryHost),
      buildkitdConfig: configFile,
    })
    setup.push(create)
    if (!plan) {
      try {
        if (configFile) writeFileSync(configFile, buildkitdConfig(insecure), {mode: 0o600})
        await run(create, env)
      } catch (err) {
        // buildx keeps an instance whose bootstrap failed: remove it, or it outlives the run.
        await run(buildxRemoveCommand(buildx.builder), env).catch(() => undefined)
        buildx = fallBackToDockerDriver(
          info,
          needs,
          `creating a docker-container builder failed: ${describeFailure(err)}`,
        )
      }
    }
  }
  if (buildx.kind === 'use' && buildx.note) notes.push(buildx.note)
  const ghaCache =
    settings.cache !== 'none' && buildx.cacheExport ? ghaCacheEnvironment(settings.env) : undefined
  return {
    builder: 'buildx',
    settings: {
      ...builderSettingsOf('buildx', settings, ghaCache !== undefined),
      buildx: {builder: buildx.builder, cacheExport: buildx.cacheExport},
    },
    buildx,
    ghaCache,
    setup,
    notes,
  }
}

function plainSelection(builder: ConcreteBuilder, settings: EngineSettings): BuilderSelection {
  const note = annotationNote(builder, settings.annotationLevels)
  return {
    builder,
    settings: builderSettingsOf(builder, settings, false),
    setup: [],
    notes: note ? [note] : [],
  }
}

/** The engine that runs a selection's command lines. */
export function engineOf(selection: BuilderSelection, settings: EngineSettings): ContainerEngine {
  const builderSettings = selection.settings
  switch (selection.builder) {
    case 'buildx':
      return new BuildxEngine(
        builderSettings,
        settings.workspace,
        settings.buildxConfig,
        selection.ghaCache,
        secretValuesOf(settings.secrets),
      )
    case 'docker':
      return new DockerEngine(builderSettings, settings.workspace)
    case 'buildah':
    case 'podman':
      return new BuildahEngine(
        builderSettings,
        settings.workspace,
        secretValuesOf(settings.secrets),
      )
  }
}
