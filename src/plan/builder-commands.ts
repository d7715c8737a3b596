/**
 * The command lines of every builder, built in one place: the engines run exactly these, and a
 * dry run prints exactly these. Pure: paths come in, nothing is read or written here.
 */
import type {AnnotationLevel, Builder, BuildSecret, SecretInput} from '../model/action-config.js'
import {ActionError, InputError} from '../errors.js'
import type {BuildCache, BuildStep} from './build-step.js'
import {ociAnnotations} from './tags/annotations.js'

export type ConcreteBuilder = Exclude<Builder, 'auto'>

/** One process to start. Build-arg values travel in `env`, never in `args`. */
export interface BuilderCommand {
  tool: string
  args: string[]
  env: Record<string, string>
}

export interface BuilderSettings {
  builder: ConcreteBuilder
  /**
   * This step's private docker config dir: the login lives there (buildah's and podman's
   * `--authfile`), and so do the files a build writes (buildx metadata, push digests, the
   * classic builder's labelled Dockerfile). The post step removes it.
   */
  configDir: string
  /** Registries spoken to over plain HTTP (loopback). */
  insecureHosts: readonly string[]
  /** buildx attestations. */
  provenance: boolean
  /** buildx: the GitHub cache service is available (type=gha cache, one scope per image and platform). */
  ghaCache: boolean
  /**
   * buildx: the builder every build runs on (`--builder`), and whether it can export a cache (the
   * `docker` driver cannot). Undefined: buildx's own choice, with cache export.
   */
  buildx?: {builder: string; cacheExport: boolean}
  /** The run's build secrets, by id: every build gets each of them (`--secret`). */
  secrets?: readonly SecretMount[]
  /**
   * The annotation levels DOCKER_METADATA_ANNOTATIONS_LEVELS asks for; undefined (unset): builds
   * set no annotation.
   */
  annotationLevels?: readonly AnnotationLevel[]
}

/**
 * A build secret as the command lines see it: its id and, for `secret-files`, the user's file.
 * No value: a value (`secrets`, `secret-envs`) is written by the engine to secretFile() for one
 * build and removed after it, so argv names only that file.
 */
export interface SecretMount {
  id: string
  /** The input that gave it (for messages). */
  input: SecretInput
  /** secret-files: the file, resolved to an absolute path. */
  file?: string
}

/** What the command lines of one builder depend on. */
export function builderSettingsOf(
  builder: ConcreteBuilder,
  settings: Pick<
    BuilderSettings,
    'configDir' | 'insecureHosts' | 'provenance' | 'annotationLevels'
  > & {
    secrets?: readonly BuildSecret[]
  },
  ghaCache: boolean,
): BuilderSettings {
  return {
    builder,
    configDir: settings.configDir,
    insecureHosts: settings.insecureHosts,
    provenance: settings.provenance,
    ghaCache,
    ...(settings.secrets?.length ? {secrets: secretMounts(settings.secrets)} : {}),
    ...(settings.annotationLevels ? {annotationLevels: settings.annotationLevels} : {}),
  }
}

/** The secrets without their values: ids, inputs and files only. */
export function secretMounts(secrets: readonly BuildSecret[]): SecretMount[] {
  return secrets.map((secret) =>
    secret.input === 'secret-files'
      ? {id: secret.id, input: secret.input, file: secret.file}
      : {id: secret.id, input: secret.input},
  )
}

/** The builders that mount build secrets (`RUN --mount=type=secret`); the classic one cannot. */
export const SECRET_BUILDERS: readonly ConcreteBuilder[] = ['buildx', 'buildah', 'podman']

/**
 * The error for build secrets given to the classic builder, which has no `--secret` (it predates
 * BuildKit): raised before anything is built or pushed. `chosen`: the builder input named docker,
 * or `auto` picked it because no other builder works on this runner.
 */
export function classicBuilderSecretsError(
  secrets: readonly Pick<SecretMount, 'id' | 'input'>[],
  chosen: 'docker' | 'auto',
): InputError {
  const inputs = [...new Set(secrets.map((secret) => secret.input))]
  const named = inputs.map((input) => `'${input}'`).join(', ')
  const ids = secrets.map((secret) => secret.id).join(', ')
  return new InputError(
    inputs[0],
    ids,
    chosen === 'docker'
      ? 'use builder: buildx (with docker/setup-buildx-action), buildah or podman, which can, or remove the secrets; nothing was built or pushed'
      : `builder: auto picked docker because buildx does not work on this runner: add docker/setup-buildx-action before this step, or install buildah or podman and set builder: buildah or podman; nothing was built or pushed`,
    `input${inputs.length > 1 ? 's' : ''} ${named} give${inputs.length > 1 ? '' : 's'} build secrets (${ids}), which the classic docker builder${chosen === 'auto' ? ' (picked by builder: auto)' : ''} cannot mount: only ${SECRET_BUILDERS.join(', ')} can`,
  )
}

/**
 * Names a builder reads from its own environment: the docker CLI, buildx, buildah and podman, the
 * Go runtime and TLS stack they are built on, the dynamic loader, the telemetry exporters. A
 * build arg travels as `--build-arg NAME` with its value in the builder's environment, so such a
 * name would change what the builder does (`CONTAINER_HOST` sends podman's build elsewhere,
 * `LD_PRELOAD` loads a library into it), not what it builds: config refuses them before anything
 * runs (buildArgNameProblem), for every builder, since `builder: auto` picks one later.
 */
const BUILDER_ENVIRONMENT = new RegExp(
  '^(' +
    [
      'PATH',
      'HOME',
      'TMPDIR',
      'DOCKER_\\w*',
      'BUILDX_\\w*',
      'BUILDKIT_\\w*',
      'BUILDAH_\\w*',
      'CONTAINERS_\\w*',
      'CONTAINER_(HOST|CONNECTION|SSHKEY|PASSPHRASE)',
      'STORAGE_\\w*',
      'REGISTRY_AUTH_FILE',
      'REGISTRIES_CONFIG_PATH',
      'XDG_\\w*',
      'LD_\\w*',
      'SSL_CERT_(FILE|DIR)',
      'GODEBUG',
      'GOTRACEBACK',
      'GOMAXPROCS',
      'GOGC',
      'GOMEMLIMIT',
      'OTEL_\\w*',
      'KUBECONFIG',
      'SSH_AUTH_SOCK',
      'NOTIFY_SOCKET',
      'DBUS_SESSION_BUS_ADDRESS',
    ].join('|') +
    ')$',
  'i',
)

/**
 * Build args that are allowed but never put in the builder's environment, where the builder
 * would act on them: Docker's predefined proxy ARGs (HTTP_PROXY … ALL_PROXY, either case), the
 * BuildKit build args its documentation lists (BUILDKIT_INLINE_CACHE …), SOURCE_DATE_EPOCH (buildx
 * and buildah take it from the environment as their own setting) and USER (podman's rootless
 * set-up reads it). They go in argv as `--build-arg NAME=value`.
 */
const ARGV_ONLY = new RegExp(
  '^(' +
    [
      'HTTPS?_PROXY',
      'NO_PROXY',
      'FTP_PROXY',
      'ALL_PROXY',
      'BUILDKIT_(INLINE_CACHE|CONTEXT_KEEP_GIT_DIR|MULTI_PLATFORM|SANDBOX_HOSTNAME|SYNTAX|CACHE_MOUNT_NS|DOCKERFILE_CHECK|SBOM_SCAN_CONTEXT|SBOM_SCAN_STAGE)',
      'SOURCE_DATE_EPOCH',
      'USER',
    ].join('|') +
    ')$',
  'i',
)

/**
 * Why `name` cannot be a build arg; undefined when it can. Config checks every build arg with
 * this before anything runs; the command builders check again.
 */
export function buildArgNameProblem(name: string): string | undefined {
  if (name === '' || /[=\s\p{Cc}]/u.test(name))
    return 'is not a build-arg name (it may not be empty or hold "=", spaces or control characters)'
  if (name.startsWith('-')) return 'is not a build-arg name (it may not start with "-")'
  if (!ARGV_ONLY.test(name) && BUILDER_ENVIRONMENT.test(name))
    return 'is a variable the builders (docker, buildx, buildah, podman) read from their own environment, where build-arg values are passed: it would change how the image is built, not what is built into it'
  return undefined
}

/**
 * Whether the builders read `name` from their own environment (PATH, HOME, DOCKER_*, …): such a
 * variable cannot be a secret-envs source, which is withheld from every child process.
 */
export function isBuilderEnvironmentVariable(name: string): boolean {
  return BUILDER_ENVIRONMENT.test(name)
}

/** The password always goes to stdin. */
export function loginCommand(
  settings: BuilderSettings,
  host: string,
  username: string,
): BuilderCommand {
  if (settings.builder === 'docker' || settings.builder === 'buildx') {
    return command('docker', ['login', host, '--username', username, '--password-stdin'])
  }
  return command(settings.builder, [
    'login',
    '--authfile',
    authFile(settings),
    ...tlsVerify(settings, host),
    '--username',
    username,
    '--password-stdin',
    host,
  ])
}

export function buildCommand(settings: BuilderSettings, step: BuildStep): BuilderCommand {
  switch (settings.builder) {
    case 'docker':
      return dockerBuild(settings, step)
    case 'buildx':
      return buildxBuild(settings, step)
    case 'buildah':
    case 'podman':
      return daemonlessBuild(settings, step)
  }
}

/**
 * What runs before the build to make the cache usable. The classic builder takes layers only
 * from images in the local engine, so it first pulls each image it may take layers from; the
 * engine ignores a failed pull (a previous release may not exist, or may be gone). The other
 * builders read their cache from the registry themselves.
 */
export function cachePullCommands(settings: BuilderSettings, step: BuildStep): BuilderCommand[] {
  if (settings.builder !== 'docker' || !step.cache) return []
  // A previous release may be multi-platform: take the leg of the platform being built.
  const platform = step.platforms.length === 1 ? ['--platform', step.platforms[0]] : []
  return step.cache.images.map((ref) => command('docker', ['pull', ...platform, ref]))
}

/**
 * The classic builder's look-up of an image's layers (diff IDs, bottom first) before it is pushed:
 * pushes of images that share layers then upload each shared layer once (adapters/layer-gate.ts).
 * It only reads, so a dry run does not show it; where the CLI would talk to the engine's local
 * socket, the engine is asked there instead (adapters/docker-socket.ts) and this is the fallback.
 */
export function layersCommand(ref: string): BuilderCommand {
  return command('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])
}

/** Undefined for buildx, which pushes while building. */
export function pushCommand(settings: BuilderSettings, ref: string): BuilderCommand | undefined {
  switch (settings.builder) {
    case 'buildx':
      return undefined
    case 'docker':
      return command('docker', ['push', ref])
    case 'buildah':
    case 'podman': {
      const args = ['push', '--authfile', authFile(settings), ...tlsVerify(settings, hostOf(ref))]
      // Our retry policy is the only one: buildah's own (3 tries, 2 s) would multiply it.
      if (settings.builder === 'buildah') args.push('--retry', '0')
      args.push('--digestfile', pushDigestFile(settings, ref), ref, `docker://${ref}`)
      return command(settings.builder, args)
    }
  }
}

/** Where a daemonless push writes the digest it pushed. */
export function pushDigestFile(settings: BuilderSettings, ref: string): string {
  return `${settings.configDir}/push-${safeName(ref)}.digest`
}

/** Where buildx writes the metadata (the pushed digest) of one build. */
export function buildxMetadataFile(settings: BuilderSettings, step: BuildStep): string {
  return `${settings.configDir}/buildx-${safeName(step.image)}-${safeName(step.platforms.join('+') || 'default')}.json`
}

/**
 * The classic builder turns every `--label` into a LABEL step of its own, and each step commits a
 * container: eight OCI labels cost eight commits per image, on every run. So the engine writes a
 * copy of the Dockerfile with one LABEL line appended, here, and builds that. Not for `--target`
 * builds: the line would land in the last stage, not the target.
 */
export function labelledDockerfile(settings: BuilderSettings, step: BuildStep): string | undefined {
  if (settings.builder !== 'docker') return undefined
  if (step.target || Object.keys(step.labels).length === 0) return undefined
  return `${settings.configDir}/${safeName(step.image)}-${safeName(step.platforms.join('+') || 'default')}.Dockerfile`
}

/** The line the engine appends to that copy; `escape` is the Dockerfile's escape character. */
export function labelLine(labels: Record<string, string>, escape = '\\'): string {
  const quote = (value: string): string =>
    `"${value
      .split(escape)
      .join(escape + escape)
      .replace(/"/g, `${escape}"`)
      .replace(/\$/g, `${escape}$`)
      .replace(/\r?\n/g, `${escape}n`)}"`
  return `LABEL ${Object.entries(labels)
    .map(([key, value]) => `${quote(key)}=${quote(value)}`)
    .join(' ')}`
}

function dockerBuild(settings: BuilderSettings, step: BuildStep): BuilderCommand {
  onePlatform('docker', step, 'use builder: buildx (with docker/setup-buildx-action)')
  if (settings.secrets?.length) throw classicBuilderSecretsError(settings.secrets, 'docker')
  const labelled = labelledDockerfile(settings, step)
  const args = ['build', '--file', labelled ?? step.file]
  if (step.target) args.push('--target', step.target)
  if (step.platforms.length === 1) args.push('--platform', step.platforms[0])
  const {args: buildArgs, env} = buildArgArguments(step.buildArgs)
  args.push(...buildArgs)
  if (!labelled) args.push(...labelArguments(step))
  // Only steps whose history matches a pulled image are reused; our LABEL line comes last, so it
  // costs nothing but itself. With --cache-from the classic builder ignores every other local
  // layer: so only when there is a previous release to take layers from, and then this run's
  // other images are named too, so the steps they share stay shared.
  if (step.cache && step.cache.images.length > 0) {
    for (const ref of [...step.cache.images, ...(step.cache.local ?? [])])
      args.push('--cache-from', ref)
  }
  for (const ref of step.refs) args.push('--tag', ref)
  args.push(contextArgument(step.context))
  return {tool: 'docker', args, env}
}

/**
 * With `push`, the immutable refs are pushed while building (moving tags are copied in the
 * registry later); with no immutable tag at all, the image is pushed by digest only, so nothing
 * a user pulls by tag changes before the release is complete.
 */
function buildxBuild(settings: BuilderSettings, step: BuildStep): BuilderCommand {
  const args = ['buildx', 'build']
  if (settings.buildx) args.push('--builder', settings.buildx.builder)
  args.push('--file', step.file)
  if (step.target) args.push('--target', step.target)
  if (step.platforms.length > 0) args.push('--platform', step.platforms.join(','))
  args.push(`--provenance=${settings.provenance}`)
  const {args: buildArgs, env} = buildArgArguments(step.buildArgs)
  args.push(...buildArgs, ...secretArguments(settings, step), ...labelArguments(step))
  args.push(...buildxAnnotationArguments(settings, step))
  args.push(...buildxCacheArguments(settings, step))
  for (const ref of step.pushRefs) args.push('--tag', ref)
  if (step.push) {
    if (step.pushRefs.length > 0) args.push('--push')
    else
      args.push(
        '--output',
        `type=image,name=${step.imageName},push-by-digest=true,name-canonical=true,push=true`,
      )
  }
  args.push('--metadata-file', buildxMetadataFile(settings, step), contextArgument(step.context))
  return {tool: 'docker', args, env}
}

/**
 * buildx's `--annotation level:key=value` (buildx 0.12 and later) for each level asked for that
 * this build writes: `manifest` always; `index` and `manifest-descriptor` only when the build
 * writes an index (several platforms, or provenance attestations), since BuildKit fails a
 * single-platform build with index annotations. `index-descriptor` is nowhere in a registry.
 */
function buildxAnnotationArguments(settings: BuilderSettings, step: BuildStep): string[] {
  const writesIndex = step.platforms.length > 1 || settings.provenance
  const levels = (settings.annotationLevels ?? []).filter(
    (level) =>
      level === 'manifest' ||
      (writesIndex && (level === 'index' || level === 'manifest-descriptor')),
  )
  const annotations = Object.entries(ociAnnotations(step.labels))
  return levels.flatMap((level) =>
    annotations.flatMap(([key, value]) => ['--annotation', `${level}:${key}=${value}`]),
  )
}

/**
 * What a builder cannot do of the annotations asked for, for the preflight warning; undefined
 * when it can. The classic builder has no annotations at all: its manifests carry labels only.
 */
export function annotationNote(
  builder: ConcreteBuilder,
  levels: readonly AnnotationLevel[] | undefined,
): string | undefined {
  if (builder !== 'docker' || !levels?.includes('manifest')) return undefined
  return `builder docker (the classic builder) cannot set manifest annotations: DOCKER_METADATA_ANNOTATIONS_LEVELS asks for 'manifest', but the images it pushes carry labels only. Annotations go only on the indexes this action writes (stage: merge, a reused multi-platform image), at the levels asked for; use builder: buildx, buildah or podman for manifest annotations`
}

/**
 * The GitHub cache when the runner has it, one scope per image and platform (legs built on
 * several runners must not overwrite each other's cache); else a cache artifact of its own in
 * the `-buildcache` repository, as an image manifest with OCI media types (the layer-index format
 * is refused by several registries); mode=max keeps the layers of every stage. A cache that
 * cannot be written never fails the release (`ignore-error=true`).
 */
function buildxCacheArguments(settings: BuilderSettings, step: BuildStep): string[] {
  if (settings.buildx && !settings.buildx.cacheExport) return []
  if (settings.ghaCache) {
    const scope = [step.image, ...step.platforms].join('-').replace(/[^A-Za-z0-9._-]+/g, '-')
    return [
      '--cache-from',
      `type=gha,scope=${scope}`,
      '--cache-to',
      `type=gha,mode=max,scope=${scope},ignore-error=true`,
    ]
  }
  if (!step.cache) return []
  const cacheRef = `${step.cache.imageName}:buildcache`
  return [
    '--cache-from',
    `type=registry,ref=${cacheRef}`,
    '--cache-to',
    `type=registry,ref=${cacheRef},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`,
  ]
}

/**
 * `buildah bud …` / `podman build …`. Docker format keeps HEALTHCHECK, SHELL and ONBUILD, which the
 * OCI image format has no place for; but a Docker manifest has no annotations (buildah and podman
 * drop `--annotation` without a word). So OCI format only when manifest annotations are asked for
 * (DOCKER_METADATA_ANNOTATIONS_LEVELS with `manifest`), Docker format otherwise, as always.
 */
function daemonlessBuild(settings: BuilderSettings, step: BuildStep): BuilderCommand {
  const tool = settings.builder
  onePlatform(tool, step, 'use builder: buildx')
  const args = [tool === 'buildah' ? 'bud' : 'build', '--authfile', authFile(settings)]
  if (step.cache) args.push(...daemonlessCacheArguments(settings, step.cache))
  const annotations = settings.annotationLevels?.includes('manifest')
    ? Object.entries(ociAnnotations(step.labels))
    : []
  args.push('--format', annotations.length > 0 ? 'oci' : 'docker', '--file', step.file)
  if (step.target) args.push('--target', step.target)
  if (step.platforms.length === 1) args.push('--platform', step.platforms[0])
  if (step.sourceDateEpoch !== undefined) args.push('--timestamp', String(step.sourceDateEpoch))
  const {args: buildArgs, env} = buildArgArguments(step.buildArgs)
  args.push(...buildArgs, ...secretArguments(settings, step), ...labelArguments(step))
  for (const [key, value] of annotations) args.push('--annotation', `${key}=${value}`)
  for (const ref of step.refs) args.push('--tag', ref)
  args.push(contextArgument(step.context))
  return {tool, args, env}
}

/**
 * Both flags are ignored without `--layers` (podman's default, not buildah's). Each step's
 * result is pushed to and looked up in the cache repository under a tag computed from the step
 * and the steps before it, so no tag there ever moves. A cache push that fails fails the build.
 * `--tls-verify` covers the cache's pulls and pushes, and the base image's pull too.
 */
function daemonlessCacheArguments(settings: BuilderSettings, cache: BuildCache): string[] {
  return [
    '--layers',
    ...tlsVerify(settings, hostOf(cache.imageName)),
    '--cache-from',
    cache.imageName,
    '--cache-to',
    cache.imageName,
  ]
}

/**
 * Build-arg values travel in the environment (`--build-arg NAME` reads it), not in argv, where
 * any process listing would show them. The names of ARGV_ONLY stay in argv; the names of
 * BUILDER_ENVIRONMENT are refused (config refused them already).
 */
export function buildArgArguments(buildArgs: Record<string, string>): {
  args: string[]
  env: Record<string, string>
} {
  const args: string[] = []
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(buildArgs)) {
    const problem = buildArgNameProblem(name)
    if (problem) throw new ActionError(`build arg '${name}' ${problem}`, 'rename it (its ARG too)')
    if (ARGV_ONLY.test(name)) {
      args.push('--build-arg', `${name}=${value}`)
    } else {
      args.push('--build-arg', name)
      env[name] = value
    }
  }
  return {args, env}
}

/**
 * `--secret id=<id>,src=<file>` for each build secret: the user's file, or the file the engine
 * writes the value to for this build (secretFile). Never a value: argv is visible to every
 * process listing. buildx, buildah and podman all read `src=` (buildah and podman have no `env=`
 * before 1.28 and 4.4, which GitHub's ubuntu-22.04 runners predate).
 */
export function secretArguments(settings: BuilderSettings, step: BuildStep): string[] {
  return (settings.secrets ?? []).flatMap((secret) => [
    '--secret',
    `id=${secret.id},src=${secret.file ?? secretFile(settings, step, secret.id)}`,
  ])
}

/**
 * Where the engine writes a secret's value for one build (mode 0600, removed after the build; the
 * post step removes the whole dir): one file per image, platforms and id, so builds that run at
 * once never share one.
 */
export function secretFile(settings: BuilderSettings, step: BuildStep, id: string): string {
  return `${settings.configDir}/secret-${safeName(step.image)}-${safeName(step.platforms.join('+') || 'default')}-${id}`
}

/** The secrets of a build whose values the engine writes to a file, and where. */
export function writtenSecretFiles(
  settings: BuilderSettings,
  step: BuildStep,
): {id: string; input: SecretInput; file: string}[] {
  return (settings.secrets ?? [])
    .filter((secret) => secret.file === undefined)
    .map((secret) => ({
      id: secret.id,
      input: secret.input,
      file: secretFile(settings, step, secret.id),
    }))
}

/**
 * The context as the last word of a build: config resolved it to an absolute path. A word that
 * starts with `-` would be stdin (`-`) or an option to the builder, never a directory.
 */
function contextArgument(context: string): string {
  if (context.startsWith('-'))
    throw new ActionError(
      `the build context '${context}' starts with '-', which the builder would read as stdin or an option`,
      'name the context by a path, e.g. ./-dir',
    )
  return context
}

/** A command as a shell line, for a dry run's report: arguments quoted where a shell needs it. */
export function renderCommand({tool, args}: Pick<BuilderCommand, 'tool' | 'args'>): string {
  return [tool, ...args].map(shellQuote).join(' ')
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The registry host of `host[:port]/path:tag`. */
export function hostOf(ref: string): string {
  return ref.slice(0, ref.indexOf('/'))
}

function labelArguments(step: BuildStep): string[] {
  return Object.entries(step.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`])
}

function onePlatform(tool: string, step: BuildStep, alternative: string): void {
  if (step.platforms.length <= 1) return
  throw new ActionError(
    `image '${step.image}': the ${tool} builder builds one platform at a time, not ${step.platforms.join(', ')}`,
    `${alternative} for multi-platform images, or one platform per runner with stage: platform`,
  )
}

function authFile(settings: BuilderSettings): string {
  return `${settings.configDir}/config.json`
}

function tlsVerify(settings: BuilderSettings, host: string): string[] {
  return settings.insecureHosts.includes(host) ? ['--tls-verify=false'] : []
}

function command(tool: string, args: string[]): BuilderCommand {
  return {tool, args, env: {}}
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_')
}
