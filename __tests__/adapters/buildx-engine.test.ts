import {describe, expect, test} from 'vitest'
import {parseBuildxMetadata} from '../../src/adapters/buildx-engine.js'
import {ghaCacheEnvironment} from '../../src/model/gha-cache.js'
import {ActionError} from '../../src/errors.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

describe('parseBuildxMetadata', () => {
  test.each([
    {
      why: 'an image push',
      text: JSON.stringify({
        'buildx.build.ref': 'builder/builder0/abc',
        'containerimage.config.digest': `sha256:${'b'.repeat(64)}`,
        'containerimage.descriptor': {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: DIGEST,
          size: 481,
        },
        'containerimage.digest': DIGEST,
        'image.name': 'iad.ocir.io/ns/todo-backend:sha-0123456',
      }),
      want: {digest: DIGEST},
    },
    {
      why: 'a build without output has no digest',
      text: JSON.stringify({'buildx.build.ref': 'builder/builder0/abc'}),
      want: {},
    },
  ])('$why', ({text, want}) => {
    expect(parseBuildxMetadata(text)).toEqual(want)
  })

  test.each([
    {why: 'not JSON', text: 'oops', message: /not JSON/},
    {
      why: 'a digest that is not one',
      text: '{"containerimage.digest": "sha256:xyz"}',
      message: /unusable image digest/,
    },
  ])('rejects $why', ({text, message}) => {
    expect(() => parseBuildxMetadata(text)).toThrow(ActionError)
    expect(() => parseBuildxMetadata(text)).toThrow(message)
  })
})

test.each([
  {why: 'no cache service on this runner', env: {ACTIONS_RUNTIME_TOKEN: 't'}, want: undefined},
  {
    why: 'the cache service (v1)',
    env: {ACTIONS_CACHE_URL: 'https://c/', ACTIONS_RUNTIME_TOKEN: 't'},
    want: {ACTIONS_CACHE_URL: 'https://c/', ACTIONS_RUNTIME_TOKEN: 't'},
  },
  {
    why: 'the cache service (v2)',
    env: {
      ACTIONS_RESULTS_URL: 'https://r/',
      ACTIONS_RUNTIME_TOKEN: 't',
      ACTIONS_CACHE_SERVICE_V2: 'True',
    },
    want: {
      ACTIONS_RESULTS_URL: 'https://r/',
      ACTIONS_RUNTIME_TOKEN: 't',
      ACTIONS_CACHE_SERVICE_V2: 'True',
    },
  },
])('ghaCacheEnvironment: $why', ({env, want}) => {
  expect(ghaCacheEnvironment(env)).toEqual(want)
})
