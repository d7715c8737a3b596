/**
 * A release step: one capability around the push (repositories, signing, a pull secret, a
 * cleanup…), with everything it needs in one place: its inputs, its lines in a dry run, what it
 * connects, its hooks in the release order, and its outputs and summary. The steps are one
 * ordered list (steps/index.ts); the release order calls their hooks by phase, in that order, and
 * knows nothing of what they do.
 *
 * Phases, in the order a run meets them:
 * 1. `read`: the step's inputs, read and checked (and masked) before anything happens;
 * 2. `planLines`: what a dry run prints for it;
 * 3. `connect`: its clients and logins, after the run's own login;
 * 4. `beforePush`: before anything is built or pushed (may stop the run: nothing is pushed);
 * 5. `afterPublish`: once an image exists under its immutable references, before any moving tag
 *    moves (a failure fails the image, so no moving tag of the run moves); `onPublished` is told
 *    earlier, as each image is pushed, for work that may start while the others build;
 * 6. `afterRelease`: once the moving tags moved (or did not: the outcomes say);
 * instead of 4–6, `insteadOfRelease` for a step that is a stage of its own (cleanup).
 * Then `report`: its outputs, its summary column and sections, notices and failures.
 */
import type {BaseImageDigest, ContainerEngine, LogSink} from '../ports.js'
import type {RegistryHttpClient} from '../adapters/registry-http.js'
import type {ActionConfig} from '../model/action-config.js'
import type {PlanLines} from '../plan/dry-run.js'
import type {ImagePlan} from '../plan/push-plan.js'
import type {RunFacts, RunPlan} from '../plan/run-plan.js'
import type {ImageOutcome} from '../release/image-outcome.js'

/** How a step reads its inputs. */
export interface StepInputs {
  /** An input's value, trimmed; '' when not given. */
  get(name: string): string
  /** An input's value as given (multi-line inputs). */
  raw(name: string): string
  env: NodeJS.ProcessEnv
  /** Masks a secret in the log, the moment it is read. */
  mask(secret: string): void
}

/** The run's config as a step sees it: everything but the steps. */
export type CoreConfig = ActionConfig

/** The run's config with its release steps, their inputs read and checked (readConfig). */
export interface RunConfig extends ActionConfig {
  steps: ConfiguredStep[]
}

export interface PlanContext {
  config: CoreConfig
  plan: Pick<RunPlan, 'plans' | 'legs'>
}

export interface ConnectContext {
  config: CoreConfig
  /** The tenancy namespace (or the registry path), as resolved. */
  namespace: string
  registry: RegistryHttpClient
  /** The run's login, when it logged in with a password that lasts (an auth token). */
  login?: {username: string; password: string}
  /** Base image digests, as the build key resolves them (each reference looked up once a run). */
  resolveBaseImages?: (refs: readonly string[]) => Promise<BaseImageDigest[]>
  /** The run's clock (SOURCE_DATE_EPOCH when set) and commit time, as the tags and labels saw them. */
  facts?: Pick<RunFacts, 'now' | 'commitDate'>
}

export interface BeforePushContext {
  plans: readonly ImagePlan[]
  engine: ContainerEngine
}

export interface StageContext {
  plan: Pick<RunPlan, 'plans'>
  facts: Pick<RunFacts, 'defaultBranch' | 'now'>
}

/** What a step adds to the report. Cells and items are HTML (escape what you did not write). */
export interface StepReport {
  /** Outputs this step owns; set on every run, so a step that did nothing reports its empty value. */
  outputs?: Record<string, string>
  /** One summary column: image name → cell. */
  column?: {header: string; cells: Record<string, string>}
  /** Summary sections after the image table. */
  sections?: {title: string; items: string[]}[]
  notices?: string[]
  failures?: {image: string; message: string; nextStep?: string}[]
}

/** A step's hooks in a real run; each is optional. */
export interface StepHooks {
  /** Undefined to go on; a reason to stop the run before anything is built or pushed. */
  beforePush?(context: BeforePushContext): Promise<string | undefined>
  /**
   * Whether an earlier release may stand in for a build (whole-image reuse): undefined when it
   * may, else why not (its signature does not verify with the configured key, say).
   */
  vouchForReuse?(image: {
    repository: string
    imageName: string
    digest: string
  }): Promise<string | undefined>
  afterPublish?(plan: ImagePlan, outcome: ImageOutcome, log: LogSink): Promise<void>
  /**
   * One image exists under its immutable references, the others may still be building: work that
   * may start early (replication starts its copy). Cannot fail anything; afterPublish still runs.
   */
  onPublished?(plan: ImagePlan, outcome: ImageOutcome): void
  afterRelease?(images: readonly ImageOutcome[]): Promise<void>
  /** The whole run, for a step that is a stage of its own; the images it reports, if any. */
  insteadOfRelease?(context: StageContext): Promise<void>
  report?(): StepReport
}

/** A step as written: its settings type stays inside it. */
export interface StepDefinition<Settings> {
  name: string
  /** The step's settings, checked; undefined when the step is off for this run. */
  read(inputs: StepInputs, config: CoreConfig): Settings | undefined
  planLines?(settings: Settings, context: PlanContext): PlanLines
  connect?(settings: Settings, context: ConnectContext): Promise<StepHooks>
  /** The report of a step that is off, or of a dry run (its outputs' empty values). */
  idleReport?(): StepReport
}

/** A step whose inputs were read, ready to plan and connect; an inactive one only reports. */
export interface ConfiguredStep {
  readonly name: string
  /** False when the step is off for this run. */
  readonly active: boolean
  planLines(context: PlanContext): PlanLines
  connect(context: ConnectContext): Promise<ConnectedStep>
  /** Its report when it did not run (a dry run, or off). */
  idleReport(): StepReport
}

/** A connected step: its hooks, and its report at the end. */
export interface ConnectedStep extends StepHooks {
  readonly name: string
  report(): StepReport
}

/** A step in the list, its settings type erased. */
export interface ReleaseStep {
  readonly name: string
  configure(inputs: StepInputs, config: CoreConfig): ConfiguredStep
}

export function defineStep<Settings>(definition: StepDefinition<Settings>): ReleaseStep {
  const name = definition.name
  const idleReport = (): StepReport => definition.idleReport?.() ?? {}
  return {
    name,
    configure(inputs, config) {
      const settings = definition.read(inputs, config)
      if (settings === undefined)
        return {
          name,
          active: false,
          idleReport,
          planLines: () => ({}),
          connect: async () => ({name, report: idleReport}),
        }
      return {
        name,
        active: true,
        idleReport,
        planLines: (context) => definition.planLines?.(settings, context) ?? {},
        async connect(context) {
          const hooks = (await definition.connect?.(settings, context)) ?? {}
          return {...hooks, name, report: hooks.report ?? idleReport}
        },
      }
    },
  }
}

/** The afterPublish hooks of the steps, one after another in the list's order. */
export function afterPublishOf(
  steps: readonly ConnectedStep[],
): ((plan: ImagePlan, outcome: ImageOutcome, log: LogSink) => Promise<void>) | undefined {
  const hooks = steps.filter((step) => step.afterPublish)
  if (hooks.length === 0) return undefined
  return async (plan, outcome, log) => {
    for (const step of hooks) await step.afterPublish?.(plan, outcome, log)
  }
}

/** The onPublished hooks of the steps, in the list's order. */
export function onPublishedOf(
  steps: readonly ConnectedStep[],
): ((plan: ImagePlan, outcome: ImageOutcome) => void) | undefined {
  const hooks = steps.filter((step) => step.onPublished)
  if (hooks.length === 0) return undefined
  return (plan, outcome) => {
    for (const step of hooks) step.onPublished?.(plan, outcome)
  }
}

/** The steps' dry-run lines, by phase, in the steps' order. */
export function planLinesOf(
  steps: readonly ConfiguredStep[],
  context: PlanContext,
): Required<PlanLines> {
  const lines: Required<PlanLines> = {
    connect: [],
    beforePush: [],
    afterPublish: [],
    afterRelease: [],
  }
  for (const step of steps) {
    const own = step.planLines(context)
    for (const phase of Object.keys(lines) as (keyof PlanLines)[])
      lines[phase].push(...(own[phase] ?? []))
  }
  return lines
}

/** Every step's objection to reusing an earlier release, in the list's order; undefined: none. */
export function vouchForReuseOf(
  steps: readonly ConnectedStep[],
): (image: {repository: string; imageName: string; digest: string}) => Promise<string | undefined> {
  return async (image) => {
    for (const step of steps) {
      const objection = await step.vouchForReuse?.(image)
      if (objection) return objection
    }
    return undefined
  }
}
