/**
 * What a dry run prints: the command lines the builders would run, from the same argument
 * builders and build steps the real run uses, and the registry calls of the release order.
 */
import type {ActionConfig} from '../model/action-config.js'
import {
  buildCommand,
  cachePullCommands,
  labelledDockerfile,
  loginCommand,
  pushCommand,
  renderCommand,
  builderSettingsOf,
  writtenSecretFiles,
  type BuilderSettings,
} from './builder-commands.js'
import type {BuilderSelection} from './builder-selection.js'
import {imageBuildCache, imageBuildStep, legBuildStep, type BuildStep} from './build-step.js'
import type {ImagePlan} from './push-plan.js'
import {reuseCandidates} from './reuse-candidates.js'
import type {RunPlan} from './run-plan.js'

/** Which earlier releases a real run would compare with: a dry run asks no registry. */
function reuseLine(config: ActionConfig, plan: RunPlan, image: ImagePlan): string {
  const candidates = reuseCandidates(image, {
    eventName: config.github.eventName,
    payload: config.github.payload,
    revision: plan.tagPlan.revision ?? config.github.sha,
    shortShaLength: config.metadata.shortShaLength,
  })
  return candidates.length > 0
    ? `# ${image.image.name}: may be reused instead of built, if ${image.imageName}:${candidates.join(', :')} holds a release with the same build inputs (a dry run asks no registry)`
    : `# ${image.image.name}: will be built (no earlier release to compare with)`
}

/** The private docker config dir a real run creates (mkdtemp) under the runner's temp dir. */
export function plannedConfigDir(runnerTemp: string): string {
  return `${runnerTemp.replace(/\/+$/, '')}/ocir-push-docker-XXXXXX`
}

/**
 * The builder a dry run found as a real run would (probed, nothing created), or why it could not
 * be probed here.
 */
/** A dry run's lines of a release step, by the phase they belong to. */
export type PlanLines = Partial<
  Record<'connect' | 'beforePush' | 'afterPublish' | 'afterRelease', string[]>
>

export type PlannedBuilder =
  {selection: BuilderSelection; unprobed?: undefined} | {selection?: undefined; unprobed: string}

/** What a dry run says of its builder, as comment lines and the set-up commands it would run. */
function builderLines(config: ActionConfig, planned: PlannedBuilder | undefined): string[] {
  if (!planned)
    return config.builder === 'auto' && config.stage !== 'merge'
      ? ['# builder auto: buildx, docker, buildah or podman, whichever works here']
      : []
  if (!planned.selection)
    return [
      `# builder ${config.builder}: not probed here (${planned.unprobed}); a real run decides`,
    ]
  const {builder, buildx, setup, notes} = planned.selection
  const lines: string[] = []
  if (!buildx) lines.push(`# builder: ${builder}`)
  else if (buildx.kind === 'use')
    lines.push(`# builder: buildx on its builder '${buildx.builder}' (${buildx.driver} driver)`)
  else
    lines.push(
      `# builder: buildx on a private docker-container builder '${buildx.builder}', because '${buildx.on}' uses the docker driver, which cannot do ${buildx.why.join(', ')}; the post step removes it (docker buildx rm ${buildx.builder})`,
    )
  lines.push(...notes.map((note) => `# ${note}`), ...setup.map(renderCommand))
  return lines
}

export function dryRunCommands(
  config: ActionConfig,
  plan: RunPlan,
  planned?: PlannedBuilder,
  /** The release steps' lines, by phase. */
  stepLines: Required<PlanLines> = {
    connect: [],
    beforePush: [],
    afterPublish: [],
    afterRelease: [],
  },
): string[] {
  const commands = builderLines(config, planned)
  // A merge builds nothing, so it needs no builder; one that could not be probed is taken as named.
  const settings: BuilderSettings =
    planned?.selection?.settings ??
    builderSettingsOf(
      // builder: auto on GitHub's runners is buildx; with secrets it can never be docker.
      config.builder === 'auto'
        ? config.secrets.length > 0
          ? 'buildx'
          : 'docker'
        : config.builder,
      {
        configDir: plannedConfigDir(config.paths.runnerTemp),
        insecureHosts: config.registry.insecure ? [config.registry.host] : [],
        provenance: config.provenance,
        annotationLevels: config.metadata.annotationLevels,
        secrets: config.secrets,
      },
      config.builder === 'buildx' && config.ghaCache && config.cache !== 'none',
    )
  const builder = settings.builder
  const options = {push: config.push, sourceDateEpoch: config.sourceDateEpoch}
  const pushes = (step: BuildStep): string[] => {
    const labelled = labelledDockerfile(settings, step)
    const builds: string[] = []
    const pulls = cachePullCommands(settings, step)
    if (pulls.length > 0)
      builds.push(
        `# layers for ${step.image}: a pull that fails is ignored (that image adds nothing)`,
        ...pulls.map(renderCommand),
      )
    if (labelled)
      builds.push(`# ${labelled}: ${step.file} with one LABEL line of the labels above appended`)
    for (const secret of writtenSecretFiles(settings, step))
      builds.push(
        `# ${secret.file}: the value of build secret '${secret.id}' (${secret.input}), written for this build only (mode 0600)`,
      )
    builds.push(renderCommand(buildCommand(settings, step)))
    for (const ref of step.push ? step.pushRefs : []) {
      const push = pushCommand(settings, ref)
      if (push) builds.push(renderCommand(push))
    }
    return builds
  }

  if (config.username && config.push) {
    commands.push(
      config.stage === 'merge'
        ? `# GET /v2/ on ${config.registry.host} as ${config.username} (checks the login; a merge needs no builder)`
        : renderCommand(loginCommand(settings, config.registry.host, config.username)),
    )
  }
  commands.push(...stepLines.connect, ...stepLines.beforePush)
  if (config.stage === 'platform') {
    for (const {plan: image, legs} of plan.legs ?? [])
      for (const leg of legs)
        commands.push(...pushes(legBuildStep(image, leg, plan.labels, options)))
    return commands
  }
  if (config.stage === 'merge') {
    for (const {plan: image, legs} of plan.legs ?? []) {
      const from = legs.map((leg) => `${leg.platform} from ${leg.tag}`).join(', ')
      for (const tag of image.immutableTags)
        commands.push(`# put index ${image.imageName}:${tag} (${from})`)
    }
  } else {
    for (const image of plan.plans) {
      if (config.push && config.reuse) commands.push(reuseLine(config, plan, image))
      const step = imageBuildStep(image, plan.labels, options)
      // As a real run that finds no earlier release: a dry run asks no registry.
      if (config.push && (config.reuse || config.cache !== 'none'))
        step.cache = imageBuildCache(image, {
          cache: config.cache,
          localImages: plan.plans.flatMap((other) => other.refs.slice(0, 1)),
        })
      commands.push(...pushes(step))
    }
  }
  if (!config.push) return [...commands, ...stepLines.afterRelease]
  commands.push(...stepLines.afterPublish)
  for (const image of plan.plans) {
    if (image.movingTags.length === 0) continue
    const source = image.immutableTags[0]
    if (!source && config.stage === 'all' && builder !== 'buildx') {
      // Nothing immutable was pushed: the builder pushes the moving tags itself.
      for (const tag of image.movingTags) {
        const push = pushCommand(settings, `${image.imageName}:${tag}`)
        if (push) commands.push(renderCommand(push))
      }
      continue
    }
    commands.push(
      `# copy manifest ${image.imageName}:${source ?? '(pushed by digest)'} -> ${image.movingTags.join(', ')} (in the registry, after every image is pushed: one GET, one PUT per tag)`,
    )
  }
  return [...commands, ...stepLines.afterRelease]
}
