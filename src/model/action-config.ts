/**
 * The one typed, validated view of the action's inputs that the rest of the code sees. config/
 * reads it; plan/ plans from it; neither imports the other for it.
 */
import type {OciAuth} from './oci.js'

export type Builder = 'auto' | 'buildx' | 'docker' | 'buildah' | 'podman'
export const BUILDERS: readonly Builder[] = ['auto', 'buildx', 'docker', 'buildah', 'podman']

export type Stage = 'all' | 'platform' | 'merge' | 'cleanup'

/** Where an annotation goes (metadata-action's DOCKER_METADATA_ANNOTATIONS_LEVELS, buildx's prefixes). */
export type AnnotationLevel = 'manifest' | 'index' | 'manifest-descriptor' | 'index-descriptor'
export const ANNOTATION_LEVELS: readonly AnnotationLevel[] = [
  'manifest',
  'index',
  'manifest-descriptor',
  'index-descriptor',
]

export type CacheMode = 'auto' | 'none'
export const CACHE_MODES: readonly CacheMode[] = ['auto', 'none']
export const STAGES: readonly Stage[] = ['all', 'platform', 'merge', 'cleanup']

/** One image of the `images` input, with every default filled in. */
export interface ImageSpec {
  /** Repository path under the namespace, e.g. `todo-backend` or `team/api`. */
  name: string
  /** Build context directory, relative to the workspace. */
  context: string
  /** Dockerfile path, relative to the workspace. */
  file: string
  /** Multi-stage build target, if any. */
  target?: string
  buildArgs: Record<string, string>
  /** Platforms for this image (falls back to the `platforms` input). */
  platforms: string[]
  /** Extra labels for this image only. */
  labels: Record<string, string>
}

/** The inputs that give build secrets, in the order they are read. */
export type SecretInput = 'secrets' | 'secret-files' | 'secret-envs'

/**
 * One build secret, mounted by its id (`RUN --mount=type=secret,id=…`). A value (from `secrets`
 * or `secret-envs`) was masked when read, and goes to the builder only in a file of this step's
 * private docker config, written for one build and removed after it: never in argv, a label, the
 * build key, the log, a dry run or the summary. A file (`secret-files`) is handed over by path.
 */
export type BuildSecret =
  | {id: string; input: 'secrets'; value: string}
  | {id: string; input: 'secret-envs'; value: string; variable: string}
  | {id: string; input: 'secret-files'; file: string}

/** Where the registry host came from. */
export interface RegistryTarget {
  /** host[:port], no scheme. */
  host: string
  /** OCIR: username gets the namespace prefix, OCI features apply. */
  isOcir: boolean
  /** Speak plain HTTP (loopback hosts, as Docker does). */
  insecure: boolean
  /** OCI region id when known (from `region` or the host), e.g. `us-ashburn-1`. */
  regionId?: string
}

/** What the GitHub runner tells us about the run. */
export interface GitHubContext {
  eventName: string
  /** Parsed event payload (`GITHUB_EVENT_PATH`), `{}` when absent. */
  payload: Record<string, unknown>
  sha: string
  ref: string
  /** `owner/name`. */
  repository: string
  serverUrl: string
  apiUrl: string
  runId: string
  runNumber: string
  /** GITHUB_RUN_ATTEMPT, GITHUB_JOB and GITHUB_ACTION (the step): name what this step creates. */
  runAttempt: string
  job: string
  action: string
  workspace: string
  /** GITHUB_ACTOR. */
  actor: string
}

export interface ActionConfig {
  registry: RegistryTarget
  namespace: string
  /**
   * The `username` input as given (for OCIR, resolveIdentity adds the namespace prefix). Empty
   * when not logging in with an auth token.
   */
  username: string
  /** Auth token or password; masked when read. Empty when absent. */
  authToken: string
  /**
   * How OCI calls are signed: the API key, checked and parsed (decrypted) once, or keyless
   * (GitHub's OIDC token exchanged for a session token); undefined when neither was given.
   */
  oci?: OciAuth
  ociEndpoint?: string
  logout: boolean
  images: ImageSpec[]
  builder: Builder
  /**
   * On buildx's `docker` driver, create a private docker-container builder for what that driver
   * refuses (cache export, several platforms, attestations, push by digest).
   */
  buildxCreateBuilder: boolean
  platforms: string[]
  provenance: boolean
  /** Relabel an image whose build inputs match a previous release instead of rebuilding it. */
  reuse: boolean
  /** Where builds take unchanged layers from: the registry (`auto`) or nowhere. */
  cache: CacheMode
  labels: Record<string, string>
  /** Build secrets (secrets, secret-files, secret-envs), for every build of the run; ids unique. */
  secrets: BuildSecret[]
  maxParallel: number
  /** Tag rule lines (metadata-action syntax); empty means the default rules. */
  tagRules: string[]
  /** Flavor lines. */
  flavor: string[]
  push: boolean
  dryRun: boolean
  /** Where the OCIR repositories are (created, listed, cleaned up); undefined: the tenancy. */
  compartment?: string
  retries: number
  githubToken: string
  stage: Stage
  github: GitHubContext
  /** Seconds since the epoch from SOURCE_DATE_EPOCH, if set. */
  sourceDateEpoch?: number
  /** Why pushing was switched off although `push` is true (secrets withheld from a fork PR). */
  pushWithheld?: string
  /** First backoff step of retries in ms (OCIR_PUSH_RETRY_BASE_MS; tests make it small). */
  retryBaseMs?: number
  /** The DOCKER_METADATA_* variables metadata-action users set. */
  metadata: {
    /** DOCKER_METADATA_PR_HEAD_SHA: false tags pull requests by their merge commit. */
    prHeadSha: boolean
    /** DOCKER_METADATA_SHORT_SHA_LENGTH: length of `{{sha}}` and `type=sha` (default 7). */
    shortShaLength?: number
    /**
     * DOCKER_METADATA_ANNOTATIONS_LEVELS, without repeats; undefined when unset. Set, it decides
     * where annotations go (the builds' manifests, the indexes this action writes); unset, the
     * `annotations` output is of the `manifest` level, as metadata-action's, builds get none and
     * the indexes this action writes carry the index annotations, as before.
     */
    annotationLevels?: AnnotationLevel[]
  }
  /** The runner offers the GitHub cache service (buildx then caches with type=gha). */
  ghaCache: boolean
  /** Paths the runner gives the step. */
  paths: {
    runnerTemp: string
    userDockerConfig: string
    /** Where the user's buildx keeps its builders: BUILDX_CONFIG, else <docker config>/buildx. */
    buildxConfig: string
  }
}

/** A `keep-tags` line: a glob (`*`, `?`) or a regular expression written `/…/`. */
export interface TagPattern {
  source: string
  test: (tag: string) => boolean
}

/** The retention inputs of `stage: cleanup`. */
export interface RetentionInputs {
  /** The newest N versions per image (keep-last, default 10). */
  keepLast: number
  /** Anything younger than N days (keep-days), when set. */
  keepDays?: number
  /** Tag patterns never deleted (keep-tags), besides the defaults. */
  keepTags: TagPattern[]
}
