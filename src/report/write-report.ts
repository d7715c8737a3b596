import * as core from '@actions/core'
import type {PipelineResult} from '../pipeline.js'
import {escapeHtml as escape} from './html.js'

/** The only writer of outputs and the job summary. Runs for partial failures too. */
export async function writeReport(result: PipelineResult): Promise<void> {
  writeOutputs(result)
  for (const notice of result.notices) core.notice(notice)
  if (process.env.GITHUB_STEP_SUMMARY) await writeSummary(result)
}

function writeOutputs(result: PipelineResult): void {
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
  core.setOutput('annotations', result.annotations.join('\n'))
  core.setOutput(
    'images',
    JSON.stringify(
      result.images.map((image) => ({
        name: image.name,
        image: image.imageName,
        path: image.repository,
        // Before `image` and `path`, this field held the image name; kept for workflows reading it.
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
  // Each step's own outputs (signatures, deleted…), set whether or not the step ran.
  for (const report of result.steps)
    for (const [name, value] of Object.entries(report.outputs ?? {})) core.setOutput(name, value)
}

async function writeSummary(result: PipelineResult): Promise<void> {
  const summary = core.summary.addHeading(
    result.dryRun ? 'ocir-push: plan (dry run)' : 'ocir-push',
    2,
  )
  summary.addRaw(
    `Registry <code>${escape(result.registry)}</code>${result.namespace ? `, namespace <code>${escape(result.namespace)}</code>` : ''}${result.version ? `, version <code>${escape(result.version)}</code>` : ''}`,
    true,
  )
  // A cleanup has no image rows: its deletions follow.
  const columns = result.steps.flatMap((report) => (report.column ? [report.column] : []))
  if (result.images.length > 0)
    summary.addTable([
      [
        {data: 'image', header: true},
        {data: 'references', header: true},
        {data: 'digest', header: true},
        {data: 'status', header: true},
        ...columns.map((column) => ({data: escape(column.header), header: true})),
        {data: 'duration', header: true},
      ],
      ...result.images.map((image) => [
        escape(image.name),
        image.refs.map((ref) => `<code>${escape(ref)}</code>`).join('<br>'),
        image.digest ? `<code>${escape(image.digest)}</code>` : '',
        escape(statusOf(image)),
        ...columns.map((column) => column.cells[image.name] ?? ''),
        `${(image.durationMs / 1000).toFixed(1)} s`,
      ]),
    ])
  for (const section of result.steps.flatMap((report) => report.sections ?? [])) {
    summary.addRaw(section.title, true)
    if (section.items.length > 0) summary.addList(section.items)
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
  for (const notice of result.notices) summary.addRaw(`> ${escape(notice)}`, true)
  if (result.dryRun && result.commands.length > 0) {
    summary.addRaw('Commands this run would make:', true)
    summary.addCodeBlock(result.commands.join('\n'), 'sh')
  }
  await summary.write()
}

/** The summary's status column: what happened, and why when it was not a plain push. */
function statusOf(image: PipelineResult['images'][number]): string {
  if (image.reusedFrom && image.status !== 'failed') {
    const from = image.reusedFrom.slice(image.imageName.length + 1)
    return `reused from ${from} (inputs unchanged)${image.message ? `: ${image.message}` : ''}`
  }
  return image.message ? `${image.status}: ${image.message}` : image.status
}
