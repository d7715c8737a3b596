/**
 * Which buildx builder a run uses, decided before anything is built. Pure: the inspect output and
 * the run's needs come in, the decision and the command lines go out.
 *
 * buildx's default builder on a GitHub-hosted runner uses the `docker` driver (legacy image
 * store), which refuses cache export (but inline), several platforms, attestations and push by
 * digest. Without a plan, the action's own defaults (`--cache-to type=gha`) fail every image there.
 */
import type {ActionConfig} from '../model/action-config.js'
import {ActionError} from '../errors.js'
import type {BuilderCommand} from './builder-commands.js'
import type {RunPlan} from './run-plan.js'

/** What `docker buildx inspect` says of a builder. */
export interface BuildxBuilderInfo {
  name: string
  driver: string
  /** The first node's status (`running`, `inactive`…), when printed. */
  status?: string
  platforms: string[]
  /**
   * The engine keeps images in containerd (its image store): buildx's docker driver can then
   * export a cache, build several platforms and attest; only push by digest stays refused.
   */
  containerdStore?: boolean
}

/** The features of this run's builds that not every buildx driver can do. */
export interface BuildxNeeds {
  /** Every build exports a layer cache (type=gha, or type=registry next to the image). */
  cacheExport: boolean
  /** Images built for several platforms in one build. */
  multiPlatform: string[]
  /** `provenance: true`. */
  attestations: boolean
  /** Images pushed by digest (the tag rules give them no immutable tag). */
  pushByDigest: string[]
}

/** What the run does with buildx. */
export type BuildxPlan =
  /** Build on this builder as it is. */
  | {kind: 'use'; builder: string; driver: string; cacheExport: boolean; note?: string}
  /** Create a private docker-container builder, build on it, remove it in the post step. */
  | {
      kind: 'create'
      builder: string
      driver: 'docker-container'
      cacheExport: boolean
      on: string
      why: string[]
    }

/** A builder's name, as buildx accepts it. */
export function privateBuilderName(github: {
  runId?: string
  runAttempt?: string
  job?: string
  action?: string
}): string {
  const parts = [
    'ocir-push',
    github.runId || 'local',
    github.runAttempt || '1',
    github.job,
    github.action,
  ]
  return parts
    .filter((part): part is string => Boolean(part))
    .join('-')
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .slice(0, 100)
}

/** Reads `docker buildx inspect`'s text: the builder's name and driver, its first node's status and platforms. */
export function parseBuildxInspect(text: string): BuildxBuilderInfo {
  const fields = (name: string): string[] =>
    text
      .split(/\r?\n/)
      .map((line) => new RegExp(`^${name}:\\s*(.*)$`).exec(line.trim())?.[1]?.trim())
      .filter((value): value is string => value !== undefined)
  const name = fields('Name')[0]
  const driver = fields('Driver')[0]
  if (!name || !driver)
    throw new ActionError(
      `could not read the builder from \`docker buildx inspect\`: ${text.trim().split(/\r?\n/)[0] || '(no output)'}`,
      'run `docker buildx inspect` on the runner to see what is wrong, or set builder: docker',
    )
  const platforms = (fields('Platforms')[0] ?? '')
    .split(',')
    .map((platform) => platform.trim().replace(/\*$/, ''))
    .filter(Boolean)
  return {name, driver, status: fields('Status')[0], platforms}
}

/** Refusals of the `docker` driver: the feature, and whether a build can go on without it. */
export function dockerDriverRefusals(
  needs: BuildxNeeds,
  containerdStore = false,
): {feature: string; images?: string[]; droppable: boolean}[] {
  const refusals: {feature: string; images?: string[]; droppable: boolean}[] = []
  if (needs.cacheExport && !containerdStore)
    refusals.push({feature: 'cache export', droppable: true})
  if (needs.multiPlatform.length > 0 && !containerdStore)
    refusals.push({
      feature: 'multi-platform builds',
      images: needs.multiPlatform,
      droppable: false,
    })
  if (needs.attestations && !containerdStore)
    refusals.push({feature: 'attestations (provenance: true)', droppable: false})
  if (needs.pushByDigest.length > 0)
    refusals.push({feature: 'push by digest', images: needs.pushByDigest, droppable: false})
  return refusals
}

function describeRefusal(refusal: {feature: string; images?: string[]}): string {
  return refusal.images ? `${refusal.feature} (${refusal.images.join(', ')})` : refusal.feature
}

/**
 * The plan for a builder: any driver but `docker` is used as it is; on the `docker` driver a run
 * that needs what that driver refuses gets a private docker-container builder, unless
 * `buildx-create-builder: false`: then the cache export is dropped (with a note) and any other
 * refusal is an error now, before anything is built.
 */
export function planBuildxBuilder(
  info: BuildxBuilderInfo,
  needs: BuildxNeeds,
  options: {createBuilder: boolean; privateName: string},
): BuildxPlan {
  if (info.driver !== 'docker')
    return {kind: 'use', builder: info.name, driver: info.driver, cacheExport: needs.cacheExport}
  const refusals = dockerDriverRefusals(needs, info.containerdStore)
  if (refusals.length === 0)
    return {
      kind: 'use',
      builder: info.name,
      driver: info.driver,
      cacheExport: needs.cacheExport && Boolean(info.containerdStore),
    }
  if (options.createBuilder)
    return {
      kind: 'create',
      builder: options.privateName,
      driver: 'docker-container',
      cacheExport: needs.cacheExport,
      on: info.name,
      why: refusals.map(describeRefusal),
    }
  return dockerDriverWithout(info, needs, refusals, 'buildx-create-builder is false')
}

/**
 * When the private builder could not be created: the `docker` driver without cache export, or an
 * error naming every refusal and the fixes.
 */
export function fallBackToDockerDriver(
  info: BuildxBuilderInfo,
  needs: BuildxNeeds,
  why: string,
): BuildxPlan {
  return dockerDriverWithout(info, needs, dockerDriverRefusals(needs, info.containerdStore), why)
}

function dockerDriverWithout(
  info: BuildxBuilderInfo,
  needs: BuildxNeeds,
  refusals: ReturnType<typeof dockerDriverRefusals>,
  why: string,
): BuildxPlan {
  const fatal = refusals.filter((refusal) => !refusal.droppable)
  if (fatal.length > 0)
    throw new ActionError(
      `buildx builder '${info.name}' uses the docker driver, which cannot do ${fatal.map(describeRefusal).join(', ')}; no private builder (${why})`,
      'add docker/setup-buildx-action (and docker/setup-qemu-action for other platforms) before this step, or let the action create its own builder (buildx-create-builder: true, the default), or build one platform per runner with stage: platform',
    )
  return {
    kind: 'use',
    builder: info.name,
    driver: info.driver,
    cacheExport: false,
    note: needs.cacheExport
      ? `buildx builder '${info.name}' uses the docker driver, which cannot export a layer cache: building without cache export (${why}). Add docker/setup-buildx-action before this step to cache layers`
      : undefined,
  }
}

/** `docker buildx inspect`: of the named builder, or the one buildx would pick (BUILDX_BUILDER, current, default). */
/** The engine's storage driver status, which names containerd's snapshotter when it is the image store. */
export function imageStoreCommand(): BuilderCommand {
  return {tool: 'docker', args: ['info', '--format', '{{json .DriverStatus}}'], env: {}}
}

export function buildxInspectCommand(options: {
  builder?: string
  bootstrap: boolean
}): BuilderCommand {
  const args = ['buildx', 'inspect']
  if (options.bootstrap) args.push('--bootstrap')
  if (options.builder) args.push(options.builder)
  return {tool: 'docker', args, env: {}}
}

/**
 * `docker buildx create` of the private builder. Its BuildKit runs in a container: on the host's
 * network when the registry is on loopback, and told which registries speak plain HTTP.
 */
export function buildxCreateCommand(
  name: string,
  options: {hostNetwork: boolean; buildkitdConfig?: string},
): BuilderCommand {
  const args = ['buildx', 'create', '--name', name, '--driver', 'docker-container']
  if (options.hostNetwork) args.push('--driver-opt', 'network=host')
  if (options.buildkitdConfig) args.push('--buildkitd-config', options.buildkitdConfig)
  args.push('--bootstrap')
  return {tool: 'docker', args, env: {}}
}

export function buildxRemoveCommand(name: string): BuilderCommand {
  return {tool: 'docker', args: ['buildx', 'rm', name], env: {}}
}

/** BuildKit's own config: registries it must reach over plain HTTP. */
export function buildkitdConfig(insecureHosts: readonly string[]): string {
  return insecureHosts
    .map((host) => `[registry."${host}"]\n  http = true\n  insecure = true\n`)
    .join('\n')
}

/** What this run's buildx builds will ask of the builder. */
export function buildxNeeds(
  config: Pick<ActionConfig, 'cache' | 'ghaCache' | 'stage' | 'push' | 'provenance'>,
  plan: Pick<RunPlan, 'plans'>,
): BuildxNeeds {
  const wholeImages = config.stage === 'all'
  return {
    // The registry cache is written only by builds of stage: all that push (platform legs have the
    // GitHub cache only).
    cacheExport: config.cache !== 'none' && (config.ghaCache || (wholeImages && config.push)),
    multiPlatform: wholeImages
      ? plan.plans
          .filter((image) => image.image.platforms.length > 1)
          .map((image) => image.image.name)
      : [],
    attestations: config.provenance,
    pushByDigest:
      wholeImages && config.push
        ? plan.plans
            .filter((image) => image.immutableTags.length === 0)
            .map((image) => image.image.name)
        : [],
  }
}
