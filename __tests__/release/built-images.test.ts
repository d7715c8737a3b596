import {describe, expect, test} from 'vitest'
import type {ContainerEngine} from '../../src/ports.js'
import {annotatable} from '../../src/release/built-images.js'
import type {ReuseDecision} from '../../src/release/image-reuse.js'

const engine = (name: string) => ({name}) as ContainerEngine
const reuseOf = (mediaType: string): ReuseDecision => ({
  kind: 'reuse',
  key: 'sha256:key',
  previous: {tag: 'main', digest: 'sha256:d', mediaType, body: Buffer.from('{}')},
})
const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json'
const OCI = 'application/vnd.oci.image.manifest.v1+json'

describe('annotatable: a Docker manifest cannot stand in when manifest annotations are asked for', () => {
  test('buildah asked for manifest annotations, previous release a Docker manifest: built instead', () => {
    const decision = annotatable(
      {engine: engine('buildah'), annotationLevels: ['manifest']},
      reuseOf(DOCKER),
    )
    expect(decision).toMatchObject({
      kind: 'build',
      key: 'sha256:key',
      previous: {tag: 'main'},
      reason: expect.stringMatching(/^main not reused: it is a Docker image manifest/),
    })
  })

  test.each([
    {why: 'an OCI manifest', name: 'buildah', levels: ['manifest'], mediaType: OCI},
    {why: 'levels unset', name: 'podman', levels: undefined, mediaType: DOCKER},
    {why: 'no manifest level', name: 'podman', levels: ['index'], mediaType: DOCKER},
    {
      why: 'the classic builder sets none anyway',
      name: 'docker',
      levels: ['manifest'],
      mediaType: DOCKER,
    },
  ] as const)('reused: $why', ({name, levels, mediaType}) => {
    const decision = reuseOf(mediaType)
    expect(annotatable({engine: engine(name), annotationLevels: levels}, decision)).toBe(decision)
  })
})
