import {describe, expect, test} from 'vitest'
import {
  provenancePredicate,
  statement,
  type ProvenanceFacts,
} from '../../src/attestations/provenance.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const BASE = `sha256:${'b'.repeat(64)}`
const EARLIER = `sha256:${'c'.repeat(64)}`

const facts: ProvenanceFacts = {
  run: {
    serverUrl: 'https://github.com/',
    repository: 'acme/todo',
    ref: 'refs/heads/main',
    sha: 'f'.repeat(40),
    eventName: 'push',
    runId: '42',
    runAttempt: '2',
    workflowRef: 'acme/todo/.github/workflows/release.yml@refs/heads/main',
  },
  builder: 'buildah',
  stage: 'all',
  platforms: ['linux/amd64'],
  buildArgs: {TOKEN: 'hunter2-value', GREETING: 'hello-value'},
  secretIds: ['npm'],
  baseImages: [{ref: 'alpine:3.20', digest: BASE}, {ref: 'unresolved:1'}],
  startedOn: new Date('2025-01-02T03:04:05.678Z'),
  finishedOn: new Date('2025-01-02T03:05:00Z'),
}

type Predicate = {
  buildDefinition: {
    buildType: string
    externalParameters: Record<string, unknown>
    internalParameters: Record<string, unknown>
    resolvedDependencies: Record<string, unknown>[]
  }
  runDetails: {builder: {id: string}; metadata: Record<string, string>}
}

const predicate = (given: Partial<ProvenanceFacts>): Predicate =>
  provenancePredicate({...facts, ...given}) as Predicate

describe('the provenance predicate', () => {
  test.each([
    {
      why: 'the build type is the action’s',
      given: {},
      pick: (p: Predicate) => p.buildDefinition.buildType,
      want: 'https://github.com/ocir-push/ocir-push/buildtypes/release/v1',
    },
    {
      why: 'external parameters: the workflow, repository, ref, sha and event',
      given: {},
      pick: (p: Predicate) => p.buildDefinition.externalParameters,
      want: {
        workflow: {
          ref: 'acme/todo/.github/workflows/release.yml@refs/heads/main',
          repository: 'https://github.com/acme/todo',
        },
        repository: 'acme/todo',
        ref: 'refs/heads/main',
        sha: 'f'.repeat(40),
        event: 'push',
      },
    },
    {
      why: 'internal parameters: build-arg names sorted, secret ids, never a value',
      given: {target: 'runtime'},
      pick: (p: Predicate) => p.buildDefinition.internalParameters,
      want: {
        builder: 'buildah',
        stage: 'all',
        platforms: ['linux/amd64'],
        target: 'runtime',
        buildArgs: ['GREETING', 'TOKEN'],
        secrets: ['npm'],
      },
    },
    {
      why: 'the commit and every base image, by digest when it resolved',
      given: {},
      pick: (p: Predicate) => p.buildDefinition.resolvedDependencies,
      want: [
        {
          uri: 'git+https://github.com/acme/todo@refs/heads/main',
          digest: {gitCommit: 'f'.repeat(40)},
        },
        {
          name: 'alpine:3.20',
          uri: 'docker-image://alpine:3.20',
          digest: {sha256: 'b'.repeat(64)},
          annotations: {role: 'base-image'},
        },
        {
          name: 'unresolved:1',
          uri: 'docker-image://unresolved:1',
          annotations: {role: 'base-image'},
        },
      ],
    },
    {
      why: 'a relabelled image names the earlier release, by digest',
      given: {reusedFrom: {ref: 'r.example/ns/app:sha-1234567', digest: EARLIER}, baseImages: []},
      pick: (p: Predicate) => [
        p.buildDefinition.internalParameters.reusedFrom,
        p.buildDefinition.resolvedDependencies[1],
      ],
      want: [
        'r.example/ns/app:sha-1234567',
        {
          name: 'r.example/ns/app:sha-1234567',
          uri: 'docker-image://r.example/ns/app:sha-1234567',
          digest: {sha256: 'c'.repeat(64)},
          annotations: {role: 'reused-from'},
        },
      ],
    },
    {
      why: 'the builder is the workflow at its ref; the invocation the run and attempt',
      given: {},
      pick: (p: Predicate) => p.runDetails,
      want: {
        builder: {id: 'https://github.com/acme/todo/.github/workflows/release.yml@refs/heads/main'},
        metadata: {
          invocationId: 'https://github.com/acme/todo/actions/runs/42/attempts/2',
          startedOn: '2025-01-02T03:04:05Z',
          finishedOn: '2025-01-02T03:05:00Z',
        },
      },
    },
    {
      why: 'without a workflow ref, the builder is the repository',
      given: {run: {...facts.run, workflowRef: ''}},
      pick: (p: Predicate) => p.runDetails.builder.id,
      want: 'https://github.com/acme/todo',
    },
  ])('$why', ({given, pick, want}) => {
    expect(pick(predicate(given))).toEqual(want)
  })

  test('no build-arg value is anywhere in the statement', () => {
    const text = statement({name: 'r/ns/app', digest: DIGEST}, 'p', provenancePredicate(facts))
    expect(text.toString()).not.toContain('hunter2-value')
    expect(text.toString()).not.toContain('hello-value')
  })

  test('the same facts give the same bytes', () => {
    const one = statement({name: 'r/ns/app', digest: DIGEST}, 'p', provenancePredicate(facts))
    const two = statement({name: 'r/ns/app', digest: DIGEST}, 'p', provenancePredicate({...facts}))
    expect(one.equals(two)).toBe(true)
  })
})

describe('the statement', () => {
  test('in-toto v1: the subject is the image and its sha256 hex', () => {
    expect(
      JSON.parse(statement({name: 'r/ns/app', digest: DIGEST}, 'https://p', {a: 1}).toString()),
    ).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{name: 'r/ns/app', digest: {sha256: 'a'.repeat(64)}}],
      predicateType: 'https://p',
      predicate: {a: 1},
    })
  })

  test('a digest that is not sha256 is refused', () => {
    expect(() => statement({name: 'r', digest: 'sha512:abc'}, 'p', {})).toThrow(/sha256/)
  })
})
