import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {readConfig} from '../../../src/config/read-config.js'
import type {AnnotationLevel} from '../../../src/model/action-config.js'
import {imageIndex} from '../../../src/plan/image-index.js'
import {planRun} from '../../../src/plan/run-plan.js'
import {
  annotationLines,
  ociAnnotations,
  writtenAnnotations,
} from '../../../src/plan/tags/annotations.js'
import {PROJECT_ROOT} from '../../fixtures/run-action.js'

const LABELS = {
  'org.opencontainers.image.version': '1.2.3',
  'org.opencontainers.image.title': 'todo',
  'org.opencontainers.image.description': 'a=b, c',
  'dev.ocir-push.build-key': 'sha256:abc',
  'com.example.team': 'web',
}

describe('annotationLines: the annotations output, as metadata-action writes it', () => {
  test.each<{why: string; levels?: AnnotationLevel[]; want: string[]}>([
    {
      why: 'unset: the manifest level, keys sorted, only the OCI keys',
      want: [
        'manifest:org.opencontainers.image.description=a=b, c',
        'manifest:org.opencontainers.image.title=todo',
        'manifest:org.opencontainers.image.version=1.2.3',
      ],
    },
    {
      why: 'each level in the order given, every annotation at each',
      levels: ['index', 'manifest'],
      want: [
        'index:org.opencontainers.image.description=a=b, c',
        'index:org.opencontainers.image.title=todo',
        'index:org.opencontainers.image.version=1.2.3',
        'manifest:org.opencontainers.image.description=a=b, c',
        'manifest:org.opencontainers.image.title=todo',
        'manifest:org.opencontainers.image.version=1.2.3',
      ],
    },
    {
      why: 'the descriptor levels are written as named',
      levels: ['manifest-descriptor', 'index-descriptor'],
      want: [
        'manifest-descriptor:org.opencontainers.image.description=a=b, c',
        'manifest-descriptor:org.opencontainers.image.title=todo',
        'manifest-descriptor:org.opencontainers.image.version=1.2.3',
        'index-descriptor:org.opencontainers.image.description=a=b, c',
        'index-descriptor:org.opencontainers.image.title=todo',
        'index-descriptor:org.opencontainers.image.version=1.2.3',
      ],
    },
  ])('$why', ({levels, want}) => {
    expect(annotationLines(LABELS, levels)).toEqual(want)
  })

  test('no OCI label, no annotation; a key buildx would misread is not one', () => {
    expect(annotationLines({'com.example.team': 'web'})).toEqual([])
    expect(
      ociAnnotations({'org.opencontainers.image.a:b': 'x', 'org.opencontainers.image.': 'y'}),
    ).toEqual({})
  })

  test('planRun: from the run labels (computed, then the labels input), at the levels asked for', () => {
    const run = (env: Record<string, string>) =>
      planRun(
        readConfig(
          (name) =>
            ({
              registry: 'r.example',
              namespace: 'ns',
              images: 'frontend',
              labels: 'org.opencontainers.image.title=Todo\ncom.example.team=web',
            })[name] ?? '',
          {
            GITHUB_WORKSPACE: join(PROJECT_ROOT, 'examples/todo-app/frontend'),
            GITHUB_EVENT_NAME: 'push',
            GITHUB_REF: 'refs/heads/main',
            GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
            ...env,
          },
        ),
        {now: new Date('2026-11-23T12:00:00Z'), defaultBranch: 'main'},
      ).annotations
    expect(run({})).toEqual([
      'manifest:org.opencontainers.image.created=2026-11-23T12:00:00.000Z',
      'manifest:org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567',
      'manifest:org.opencontainers.image.title=Todo',
      'manifest:org.opencontainers.image.version=main',
    ])
    const both = run({DOCKER_METADATA_ANNOTATIONS_LEVELS: 'index,manifest'})
    expect(both).toHaveLength(8)
    expect(both[0]).toBe('index:org.opencontainers.image.created=2026-11-23T12:00:00.000Z')
    expect(both[4]).toBe('manifest:org.opencontainers.image.created=2026-11-23T12:00:00.000Z')
  })
})

describe('writtenAnnotations: the indexes and manifests the action writes itself', () => {
  const oci = ociAnnotations(LABELS)
  test.each<{why: string; levels?: AnnotationLevel[]; want: object}>([
    {
      why: 'unset: on the index only, as before',
      want: {index: oci, manifestDescriptor: {}, manifest: {}},
    },
    {
      why: 'set: exactly the levels named (index-descriptor goes nowhere in a registry)',
      levels: ['manifest', 'manifest-descriptor', 'index-descriptor'],
      want: {index: {}, manifestDescriptor: oci, manifest: oci},
    },
    {why: 'index and manifest', levels: ['index', 'manifest'], want: {index: oci, manifest: oci}},
  ])('$why', ({levels, want}) => {
    expect(writtenAnnotations(LABELS, levels)).toMatchObject({...want, all: oci})
  })
})

describe('imageIndex: the index a merge pushes carries the levels asked for', () => {
  const leg = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${'a'.repeat(64)}`,
    size: 100,
  }
  const entries = [{platform: 'linux/amd64', manifest: leg}]
  const labels = {'org.opencontainers.image.revision': '0123456', 'app.version': '2'}
  const index = (levels?: AnnotationLevel[]) =>
    JSON.parse(imageIndex(entries, labels, levels)) as {
      annotations?: object
      manifests: {annotations?: object}[]
    }

  test('index: on the index, not on its entries', () => {
    const body = index(['index', 'manifest'])
    expect(body.annotations).toEqual({'org.opencontainers.image.revision': '0123456'})
    expect(body.manifests[0]).not.toHaveProperty('annotations')
  })

  test('manifest-descriptor: on each entry; no index level: no index annotations', () => {
    const body = index(['manifest-descriptor'])
    expect(body).not.toHaveProperty('annotations')
    expect(body.manifests[0].annotations).toEqual({'org.opencontainers.image.revision': '0123456'})
  })

  test('manifest only: the index itself carries none (the legs carry theirs)', () => {
    expect(index(['manifest'])).not.toHaveProperty('annotations')
  })

  test('unset: the index annotations, the same bytes as before the levels existed', () => {
    expect(imageIndex(entries, labels)).toBe(imageIndex(entries, labels, ['index']))
  })
})
