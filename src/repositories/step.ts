/**
 * ensure-repositories: the run's OCIR repositories (and the `-buildcache` ones its builds write
 * to) exist before anything is built, created where they are missing, in the compartment asked
 * for, public or private, mutable or not, rather than by the push (private, in the root
 * compartment). Whether or not the run pushes: a pull request's `push: false` build prepares them.
 */
import type {ContainerEngine, RepositoryEnsurer, RepositoryOutcome} from '../ports.js'
import {parseBoolean} from '../config/parse-values.js'
import {describeFailure, InputError} from '../errors.js'
import {buildCacheRepository} from '../plan/build-step.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {escapeHtml} from '../report/html.js'
import {
  defineStep,
  type CoreConfig,
  type StepHooks,
  type StepReport,
} from '../steps/release-step.js'
import {ensureWith, logOutcomes} from './ensure.js'

interface RepositorySettings {
  isPublic: boolean
  isImmutable: boolean
  /** Why the repositories cannot be ensured in this run (no credentials in a fork's PR). */
  withheld?: string
}

export const repositoriesStep = defineStep<RepositorySettings>({
  name: 'repositories',
  read(inputs, config) {
    const ensure = parseBoolean('ensure-repositories', inputs.get('ensure-repositories'), false)
    const isPublic = parseBoolean('repository-public', inputs.get('repository-public'), false)
    const isImmutable = parseBoolean(
      'repository-immutable',
      inputs.get('repository-immutable'),
      false,
    )
    if (!ensure || config.stage === 'cleanup') return undefined
    if (!config.oci) {
      if (config.pushWithheld)
        return {
          isPublic,
          isImmutable,
          withheld:
            'repositories not ensured: GitHub withholds the OCI API credentials from this pull request (a fork or Dependabot)',
        }
      throw new InputError(
        'ensure-repositories',
        'true',
        'creating repositories needs OCI API credentials: set oci-user, oci-tenancy, oci-fingerprint, oci-private-key and oci-region (or the OCI_CLI_* variables)',
      )
    }
    return {isPublic, isImmutable}
  },
  planLines: (settings, {config, plan}) => ({
    beforePush: [
      settings.withheld
        ? `# ${settings.withheld}`
        : `# ensure the repositories ${plan.plans.map((image) => image.image.name).join(', ')}${cacheRepositoriesNote(config)} in ${config.compartment ?? 'the tenancy (root compartment)'}: a missing one is created ${settings.isPublic ? 'public' : 'private'}${settings.isImmutable ? ' and immutable' : ''} through the OCI Artifacts API (a dry run creates none)`,
    ],
  }),
  async connect(settings, {config}) {
    if (settings.withheld) return {report: () => repositoriesReport([], settings.withheld)}
    return repositoryHooks({ensure: (plans) => ensure(settings, config, plans)}, config)
  },
})

/**
 * Before anything is built: every repository of the run (and the `-buildcache` ones its builds
 * write to) ensured; one that could not be stops the run.
 */
export function repositoryHooks(ensurer: RepositoryEnsurer, config: CoreConfig): StepHooks {
  const outcomes: RepositoryOutcome[] = []
  return {
    async beforePush({plans, engine}) {
      outcomes.push(
        ...(await ensurer.ensure([...plans, ...cacheRepositories(config, engine, plans)])),
      )
      logOutcomes('Repositories', outcomes)
      return outcomes.some((outcome) => outcome.status === 'failed')
        ? 'not built: the repositories could not be ensured'
        : undefined
    },
    report: () => repositoriesReport(outcomes),
  }
}

async function ensure(
  settings: RepositorySettings,
  config: CoreConfig,
  plans: readonly ImagePlan[],
): Promise<RepositoryOutcome[]> {
  const apiKey = config.oci
  if (!apiKey) return []
  try {
    return await ensureWith(apiKey, config, settings, plans)
  } catch (err) {
    return plans.map((image) => ({
      name: image.image.name,
      status: 'failed',
      message: describeFailure(err),
    }))
  }
}

/**
 * The `-buildcache` repositories the builds will push their layer cache to (buildah, podman, and
 * buildx without the GitHub cache): on OCIR they are created with the release repositories, in
 * the same compartment, rather than by the push (private, in the root compartment).
 */
function cacheRepositories(
  config: CoreConfig,
  engine: ContainerEngine,
  plans: readonly ImagePlan[],
): ImagePlan[] {
  if (
    config.stage !== 'all' ||
    !config.push ||
    config.cache === 'none' ||
    !engine.exportsRegistryCache
  )
    return []
  return plans.map((plan) => ({
    ...plan,
    image: {...plan.image, name: buildCacheRepository(plan.image.name)},
    movingTags: [],
  }))
}

function cacheRepositoriesNote(config: CoreConfig): string {
  return config.stage === 'all' && config.push && config.cache !== 'none'
    ? ' (and their -buildcache repositories, when the builder writes a cache there)'
    : ''
}

function repositoriesReport(outcomes: readonly RepositoryOutcome[], withheld?: string): StepReport {
  return {
    sections:
      outcomes.length > 0
        ? [
            {
              title: 'Repositories:',
              items: outcomes.map(
                (repository) =>
                  `${escapeHtml(repository.name)}: ${escapeHtml(repository.status)}${repository.message ? ` (${escapeHtml(repository.message)})` : ''}`,
              ),
            },
          ]
        : [],
    notices: [
      ...(withheld ? [withheld] : []),
      ...outcomes
        .filter((repository) => repository.status === 'created')
        .map((repository) => `created repository '${repository.name}'`),
    ],
    failures: outcomes
      .filter((repository) => repository.status === 'failed')
      .map((repository) => ({
        image: repository.name,
        message: `repository could not be ensured: ${repository.message ?? 'failed'}`,
      })),
  }
}
