/**
 * OCIR repositories through the Artifacts API: find one anywhere in the tenancy, read its
 * settings, create it, and `ensureRepositories` for a run's images.
 * https://docs.oracle.com/iaas/api/#/en/registry/20160918/ContainerRepository/
 */
import type {ArtifactsClient} from 'oci-artifacts'
import {ActionError, InputError, OciRequestError} from '../errors.js'
import {wrapOciError} from './oci-client.js'
import {mapWithLimit} from '../map-with-limit.js'
import type {RepositoryOutcome} from '../ports.js'

/** A container repository as the pipeline needs it. */
export interface RepoInfo {
  /** OCID, `ocid1.containerrepo.…`. */
  id: string
  /** Repository name (the API's displayName), e.g. `todo-backend` or `team/api`. */
  name: string
  compartmentId: string
  isPublic: boolean
  /** Only known after `get`: list results do not carry it. */
  isImmutable?: boolean
  /** AVAILABLE, DELETING, … */
  lifecycleState: string
}

/** Settings for a repository this run creates. */
export interface RepositorySettings {
  isPublic: boolean
  isImmutable: boolean
}

export interface RepositoryStore {
  /** The repository with exactly this name anywhere in the tenancy; undefined when there is none. */
  findByName(tenancyId: string, name: string): Promise<RepoInfo | undefined>
  /** One repository with all its settings, including isImmutable. */
  get(id: string): Promise<RepoInfo>
  /** Creates it; a "name taken" conflict returns the existing one with `created: false`. */
  create(
    compartmentId: string,
    name: string,
    settings: RepositorySettings,
  ): Promise<{repository: RepoInfo; created: boolean}>
}

/** The Artifacts calls the store makes. */
export type ArtifactsApi = Pick<
  ArtifactsClient,
  'listContainerRepositories' | 'getContainerRepository' | 'createContainerRepository'
>

/** RepositoryStore on the OCI Artifacts API. */
export class OciRepositoryStore implements RepositoryStore {
  /**
   * @param artifacts an ArtifactsClient (see createArtifactsClient)
   * @param tenancyId where a conflicting name is looked up again after a 409
   */
  constructor(
    private readonly artifacts: ArtifactsApi,
    private readonly tenancyId: string,
  ) {}

  async findByName(tenancyId: string, name: string): Promise<RepoInfo | undefined> {
    // Names are unique across the tenancy, so search all of it: compartmentIdInSubtree is only
    // allowed on the root compartment. displayName filters on the server; pages are still followed,
    // because a page may come back short (or empty) with a next-page token.
    let page: string | undefined
    do {
      let response
      try {
        response = await this.artifacts.listContainerRepositories({
          compartmentId: tenancyId,
          compartmentIdInSubtree: true,
          displayName: name,
          page,
        })
      } catch (err) {
        throw wrapOciError('ListContainerRepositories', err, listHint(err))
      }
      const match = response.containerRepositoryCollection.items.find(
        (item) => item.displayName === name && item.lifecycleState !== 'DELETED',
      )
      if (match) {
        return {
          id: match.id,
          name: match.displayName,
          compartmentId: match.compartmentId,
          isPublic: match.isPublic,
          lifecycleState: match.lifecycleState,
        }
      }
      page = response.opcNextPage || undefined
    } while (page)
    return undefined
  }

  async get(id: string): Promise<RepoInfo> {
    try {
      const {containerRepository: repository} = await this.artifacts.getContainerRepository({
        repositoryId: id,
      })
      return toRepoInfo(repository)
    } catch (err) {
      throw wrapOciError('GetContainerRepository', err)
    }
  }

  async create(
    compartmentId: string,
    name: string,
    settings: RepositorySettings,
  ): Promise<{repository: RepoInfo; created: boolean}> {
    try {
      const {containerRepository: repository} = await this.artifacts.createContainerRepository({
        createContainerRepositoryDetails: {
          compartmentId,
          displayName: name,
          isPublic: settings.isPublic,
          isImmutable: settings.isImmutable,
        },
      })
      return {
        repository: toRepoInfo(repository),
        created: true,
      }
    } catch (err) {
      const error = wrapOciError('CreateContainerRepository', err, createHint(err, compartmentId))
      // 409: the name is taken (by a parallel run, or in another compartment). OCIR's exact code
      // for it is not documented, so any 409, and a 400 that turns out to be the same, is checked
      // by looking the name up again.
      if (error.statusCode === 409 || error.statusCode === 400) {
        const existing = await this.findByName(this.tenancyId, name)
        if (existing) return {repository: existing, created: false}
      }
      throw error
    }
  }
}

/** What ensureRepositories needs to know. */
export interface EnsureRepositoriesRequest {
  /** Tenancy OCID: names are looked up across all of it. */
  tenancy: string
  /** Where missing repositories are created (the `compartment` input; default the tenancy). */
  compartment?: string
  /** Repository names, e.g. `todo-backend` (namespace not included). */
  names: readonly string[]
  isPublic: boolean
  isImmutable: boolean
  /** The tags this run would move (latest, branch, major, minor …) in the named repository. */
  movingTagsFor: (name: string) => readonly string[]
  /** Look-ups and creates in flight at once (default 4). */
  concurrency?: number
}

/**
 * Makes sure every named repository exists. Looks every name up first, then checks that no
 * immutable repository would have a tag moved, and only then creates the missing ones, so a run
 * that is bound to fail changes nothing. A repository that cannot be created is reported as
 * `failed` with the reason; the others go ahead. Throws (before creating anything) on an OCI
 * error during look-up, or when the plan would move a tag in an immutable repository.
 */
export async function ensureRepositories(
  store: RepositoryStore,
  request: EnsureRepositoriesRequest,
): Promise<RepositoryOutcome[]> {
  const compartment = request.compartment || request.tenancy
  const concurrency = request.concurrency ?? 4
  const names = [...new Set(request.names)]

  // An immutable repository keeps a tag on its first image forever. Creating one for a plan
  // that moves tags would work once and fail on the next release.
  if (request.isImmutable) {
    const moving = names
      .map((name) => ({name, tags: request.movingTagsFor(name)}))
      .filter(({tags}) => tags.length > 0)
    if (moving.length > 0) {
      throw new InputError(
        'repository-immutable',
        'true',
        `this run moves tags (${describeMoving(moving)}), which an immutable repository refuses ` +
          'once they exist. Set repository-immutable: false, or use only tags that never move ' +
          '(sha, full versions)',
      )
    }
  }

  const found = await mapWithLimit(names, concurrency, (name) =>
    store.findByName(request.tenancy, name),
  )

  const immutableCandidates = names
    .map((name, index) => ({name, repository: found[index], tags: request.movingTagsFor(name)}))
    .filter(
      (entry): entry is {name: string; repository: RepoInfo; tags: readonly string[]} =>
        entry.repository !== undefined && entry.tags.length > 0,
    )
  const details = await mapWithLimit(immutableCandidates, concurrency, ({repository}) =>
    repository.isImmutable === undefined ? store.get(repository.id) : Promise.resolve(repository),
  )
  const blocked = immutableCandidates.filter((_, index) => details[index].isImmutable)
  if (blocked.length > 0) {
    throw new ActionError(
      `${blocked.length === 1 ? 'repository' : 'repositories'} ${blocked
        .map(({name, repository}) => `'${name}' (${repository.id})`)
        .join(', ')} ${blocked.length === 1 ? 'is' : 'are'} immutable, and this run would move ` +
        `tags in ${blocked.length === 1 ? 'it' : 'them'}: ${describeMoving(blocked)}`,
      'An immutable repository never lets a tag point to a new image. Leave the moving tags out ' +
        'for these images (tags:, flavor: latest=false), or make the repository mutable ' +
        '(oci artifacts container repository update --is-immutable false)',
    )
  }

  return mapWithLimit(names, concurrency, async (name, index): Promise<RepositoryOutcome> => {
    const existing = found[index]
    if (existing) {
      if (existing.lifecycleState === 'DELETING') {
        return {
          name,
          status: 'failed',
          id: existing.id,
          compartmentId: existing.compartmentId,
          message: `repository '${name}' (${existing.id}) is being deleted; re-run once it is gone`,
        }
      }
      return {name, status: 'existed', id: existing.id, compartmentId: existing.compartmentId}
    }
    try {
      const {repository, created} = await store.create(compartment, name, {
        isPublic: request.isPublic,
        isImmutable: request.isImmutable,
      })
      return {
        name,
        status: created ? 'created' : 'existed',
        id: repository.id,
        compartmentId: repository.compartmentId,
      }
    } catch (err) {
      const error =
        err instanceof OciRequestError ? err : wrapOciError('CreateContainerRepository', err)
      return {
        name,
        status: 'failed',
        message: error.hint ? `${error.message}. ${error.hint}` : error.message,
      }
    }
  })
}

function describeMoving(entries: readonly {name: string; tags: readonly string[]}[]): string {
  return entries.map(({name, tags}) => `${name}: ${tags.join(', ')}`).join('; ')
}

function listHint(err: unknown): string | undefined {
  const status = (err as {statusCode?: unknown} | undefined)?.statusCode
  if (status === 404) {
    return (
      'ensure-repositories looks names up across the whole tenancy, which needs ' +
      '"Allow group <group> to inspect repos in tenancy" (and oci-tenancy must be the tenancy OCID)'
    )
  }
  return undefined
}

function createHint(err: unknown, compartmentId: string): string | undefined {
  const status = (err as {statusCode?: unknown} | undefined)?.statusCode
  if (status === 404) {
    return (
      `check that compartment ${compartmentId} exists and the user may create repositories in it, ` +
      'e.g. "Allow group <group> to manage repos in compartment <name>"'
    )
  }
  return undefined
}

/** Like Promise.all over items.map(work), with at most `limit` in flight; keeps the order. */
function toRepoInfo(repository: {
  id: string
  displayName: string
  compartmentId: string
  isPublic: boolean
  isImmutable: boolean
  lifecycleState: string
}): RepoInfo {
  return {
    id: repository.id,
    name: repository.displayName,
    compartmentId: repository.compartmentId,
    isPublic: repository.isPublic,
    isImmutable: repository.isImmutable,
    lifecycleState: repository.lifecycleState,
  }
}
