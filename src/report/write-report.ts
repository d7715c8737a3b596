import * as core from '@actions/core'
import type {PipelineResult} from '../pipeline.js'

/** The only writer of outputs and the job summary. Runs for partial failures too. */
export async function writeReport(result: PipelineResult): Promise<void> {
  const tags = result.images.flatMap((image) => image.refs)
  core.setOutput('registry', result.registry)
  core.setOutput('namespace', result.namespace)
  core.setOutput('username', result.username)
  core.setOutput('version', result.version)
  core.setOutput('tag-names', result.tagNames.join('\n'))
  core.setOutput('tags', tags.join('\n'))
  core.setOutput(
    'labels',
    Object.entries(result.labels)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
  )
  core.setOutput(
    'images',
    JSON.stringify(
      result.images.map((image) => ({
        name: image.name,
        repository: image.imageName,
        tags: image.refs.map((ref) => ref.slice(image.imageName.length + 1)),
        digest: image.digest,
        pushed: image.pushed,
        status: image.status,
        built: image.built,
        'reused-from': image.reusedFrom ?? '',
      })),
    ),
  )
  core.setOutput(
    'digests',
    JSON.stringify(
      Object.fromEntries(result.images.filter((i) => i.digest).map((i) => [i.name, i.digest])),
    ),
  )
  core.setOutput('deleted', JSON.stringify(result.deleted ?? {}))
  core.setOutput(
    'signatures',
    JSON.stringify(
      Object.fromEntries(
        result.images.filter((i) => i.signatures).map((i) => [i.name, i.signatures]),
      ),
    ),
  )
  for (const notice of result.notices) core.notice(notice)

  if (!process.env.GITHUB_STEP_SUMMARY) return
  const summary = core.summary.addHeading(
    result.dryRun ? 'ocir-push: plan (dry run)' : 'ocir-push',
    2,
  )
  summary.addRaw(
    `Registry <code>${escape(result.registry)}</code>${result.namespace ? `, namespace <code>${escape(result.namespace)}</code>` : ''}${result.version ? `, version <code>${escape(result.version)}</code>` : ''}`,
    true,
  )
  // A cleanup has no image rows: its deletions follow.
  const signed = result.images.some((image) => image.signatures)
  if (result.images.length > 0)
    summary.addTable([
      [
        {data: 'image', header: true},
        {data: 'references', header: true},
        {data: 'digest', header: true},
        {data: 'status', header: true},
        ...(signed ? [{data: 'signatures', header: true}] : []),
        {data: 'duration', header: true},
      ],
      ...result.images.map((image) => [
        escape(image.name),
        image.refs.map((ref) => `<code>${escape(ref)}</code>`).join('<br>'),
        image.digest ? `<code>${escape(image.digest)}</code>` : '',
        escape(statusOf(image)),
        ...(signed ? [signaturesCell(image)] : []),
        `${(image.durationMs / 1000).toFixed(1)} s`,
      ]),
    ])
  if (result.repositories.length > 0) {
    summary.addRaw('Repositories:', true)
    summary.addList(
      result.repositories.map(
        (repository) =>
          `${escape(repository.name)}: ${escape(repository.status)}${repository.message ? ` (${escape(repository.message)})` : ''}`,
      ),
    )
  }
  // Failed images that still pushed their immutable tags are pullable by digest too.
  const pullable = result.images.filter((image) => image.pushed && image.digest)
  if (pullable.length > 0) {
    summary.addRaw('Pull by digest:', true)
    summary.addCodeBlock(
      pullable.map((image) => `docker pull ${image.imageName}@${image.digest}`).join('\n'),
      'sh',
    )
  }
  if (result.deleted) addDeletions(summary, result.deleted, result.dryRun)
  for (const notice of result.notices) summary.addRaw(`> ${escape(notice)}`, true)
  if (result.dryRun && result.commands.length > 0) {
    summary.addRaw('Commands this run would make:', true)
    summary.addCodeBlock(result.commands.join('\n'), 'sh')
  }
  await summary.write()
}

/** A cleanup's deletions, per image: what went (or, in a dry run, would go). */
function addDeletions(
  summary: typeof core.summary,
  deleted: Record<string, string[]>,
  dryRun: boolean,
): void {
  for (const [image, references] of Object.entries(deleted)) {
    summary.addRaw(
      `${escape(image)}: ${references.length === 0 ? 'nothing to delete' : dryRun ? 'would delete' : 'deleted'}`,
      true,
    )
    if (references.length > 0)
      summary.addList(references.map((reference) => `<code>${escape(reference)}</code>`))
  }
}

/** The summary's status column: what happened, and why when it was not a plain push. */
function statusOf(image: PipelineResult['images'][number]): string {
  if (image.reusedFrom && image.status !== 'failed') {
    const from = image.reusedFrom.slice(image.imageName.length + 1)
    return `reused from ${from} (inputs unchanged)${image.message ? `: ${image.message}` : ''}`
  }
  return image.message ? `${image.status}: ${image.message}` : image.status
}

/** Each signed digest (shortened) and where its signatures went. */
function signaturesCell(image: PipelineResult['images'][number]): string {
  return Object.entries(image.signatures ?? {})
    .map(
      ([digest, places]) =>
        `<code>${escape(digest.slice(0, 19))}…</code>: ${places.map((place) => escape(place)).join(', ')}`,
    )
    .join('<br>')
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
