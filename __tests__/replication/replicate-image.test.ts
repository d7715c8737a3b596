import {describe, expect, test} from 'vitest'
import type {CopyRequest} from '../../src/replication/copy-image.js'
import {copyToTargets, movedTags} from '../../src/replication/replicate-image.js'
import type {ImagePlan} from '../../src/plan/push-plan.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const plan = {
  image: {name: 'app'},
  repository: 'ns/app',
  imageName: 'fra.ocir.io/ns/app',
  immutableTags: ['sha-0123456'],
  movingTags: ['main', 'latest'],
  refs: [],
} as unknown as ImagePlan

/** A copier that answers per target: a digest, or a failure. */
function copier(answers: Record<string, string | Error>, seen: CopyRequest[] = []) {
  return {
    copy: async (request: CopyRequest) => {
      seen.push(request)
      const answer = answers[request.target.name]
      if (answer instanceof Error) throw answer
      return {
        digest: answer,
        stats: {uploaded: 1, mounted: 0, skipped: 0, bytes: 1024, manifests: 1},
      }
    },
  }
}

function target(name: string, refreshed: string[] = []) {
  return {
    target: {name, kind: 'registry' as const, address: name, insecure: true},
    registry: {} as never,
    refresh: async () => void refreshed.push(name),
  }
}

describe('copyToTargets', () => {
  test('every target gets the image by digest with its immutable tags; each token renewed first', async () => {
    const seen: CopyRequest[] = []
    const refreshed: string[] = []
    const lines: string[] = []
    const result = await copyToTargets({
      copier: copier({'ams.ocir.io': DIGEST, 'mirror:5000': DIGEST}, seen),
      source: {name: 'fra.ocir.io', registry: {} as never},
      targets: [target('ams.ocir.io', refreshed), target('mirror:5000', refreshed)],
      plan,
      outcome: {digest: DIGEST},
      log: (line) => lines.push(line),
      parallel: 2,
    })
    expect(result).toEqual({replicas: {'ams.ocir.io': DIGEST, 'mirror:5000': DIGEST}, failures: []})
    expect(refreshed.sort()).toEqual(['ams.ocir.io', 'mirror:5000'])
    expect(
      seen.map((request) => [
        request.target.name,
        request.sourceRepository,
        request.targetRepository,
        request.digest,
        request.tags,
      ]),
    ).toEqual([
      ['ams.ocir.io', 'ns/app', 'ns/app', DIGEST, ['sha-0123456']],
      ['mirror:5000', 'ns/app', 'ns/app', DIGEST, ['sha-0123456']],
    ])
    expect(lines[0]).toMatch(
      /replicated to ams\.ocir\.io\/ns\/app@sha256:a+ in [\d.]+ s: 1 manifests, 1 blobs uploaded/,
    )
  })

  test('one target failing does not stop the others; a copy under another digest is a failure', async () => {
    const result = await copyToTargets({
      copier: copier({
        'ams.ocir.io': DIGEST,
        'mirror:5000': new Error('HTTP 500'),
        'other:5000': `sha256:${'b'.repeat(64)}`,
      }),
      source: {name: 'fra.ocir.io', registry: {} as never},
      targets: [target('ams.ocir.io'), target('mirror:5000'), target('other:5000')],
      plan,
      outcome: {digest: DIGEST},
      log: () => {},
      parallel: 1,
    })
    expect(result.replicas).toEqual({'ams.ocir.io': DIGEST})
    expect(result.failures).toEqual([
      {target: 'mirror:5000', message: expect.stringContaining('HTTP 500')},
      {
        target: 'other:5000',
        message: expect.stringContaining(`the copy has the digest sha256:${'b'.repeat(64)}`),
      },
    ])
  })

  test('an image without a digest cannot be replicated', async () => {
    await expect(
      copyToTargets({
        copier: copier({}),
        source: {name: 'fra.ocir.io', registry: {} as never},
        targets: [target('ams.ocir.io')],
        plan,
        outcome: {digest: ''},
        log: () => {},
        parallel: 1,
      }),
    ).rejects.toThrow(/no digest was recorded for fra\.ocir\.io\/ns\/app.*type=sha/)
  })
})

describe('movedTags: the moving tags the run’s own registry moved', () => {
  test.each([
    {
      why: 'all moved',
      refs: [
        'fra.ocir.io/ns/app:sha-0123456',
        'fra.ocir.io/ns/app:main',
        'fra.ocir.io/ns/app:latest',
      ],
      want: ['main', 'latest'],
    },
    {
      why: 'latest held back',
      refs: ['fra.ocir.io/ns/app:sha-0123456', 'fra.ocir.io/ns/app:main'],
      want: ['main'],
    },
    {why: 'none moved (another image failed)', refs: ['fra.ocir.io/ns/app:sha-0123456'], want: []},
  ])('$why', ({refs, want}) => {
    expect(movedTags(plan, {refs})).toEqual(want)
  })
})
