import {mkdirSync, mkdtempSync, realpathSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {resolveIdentity} from '../../src/resolve-identity.js'
import {readRetention} from '../../src/cleanup/step.js'
import {readConfig} from '../../src/config/read-config.js'
import {RELEASE_STEPS} from '../../src/steps/index.js'
import {expectInputError} from '../fixtures/expect-input-error.js'

/** A workspace with one buildable image, so file checks pass unless a row breaks them. */
const workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'ws-'))
mkdirSync(join(workspace, 'app'))
writeFileSync(join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n')
writeFileSync(join(workspace, 'Dockerfile'), 'FROM scratch\n')
const env = {GITHUB_WORKSPACE: workspace}
const realWorkspace = realpathSync(workspace)
const base = {registry: 'localhost:5000', images: 'app'}

function read(inputs: Record<string, string | undefined>, extraEnv: Record<string, string> = {}) {
  return readConfig(
    (name) => inputs[name] ?? '',
    {...env, ...extraEnv},
    () => {},
    RELEASE_STEPS,
  )
}

describe('accepted inputs', () => {
  test.each([
    // The context comes back resolved and absolute: what the builders are given.
    {
      why: 'plain names, one per line, get context . and ./Dockerfile',
      images: 'app\nworker',
      want: [
        {name: 'app', context: realWorkspace, file: 'Dockerfile'},
        {name: 'worker', context: realWorkspace, file: 'Dockerfile'},
      ],
    },
    {
      why: 'the short form name: context',
      images: '- app: ./app',
      want: [{name: 'app', context: join(realWorkspace, 'app'), file: './app/Dockerfile'}],
    },
    {
      why: 'a full map keeps file, target and build-args',
      images:
        '- name: team/api\n  context: app\n  file: app/Dockerfile\n  target: prod\n  build-args:\n    A: 1',
      want: [
        {
          name: 'team/api',
          context: join(realWorkspace, 'app'),
          file: 'app/Dockerfile',
          target: 'prod',
          buildArgs: {A: '1'},
        },
      ],
    },
    {
      why: 'build-args as a KEY=VALUE list',
      images: '- name: app\n  build-args: ["A=1", "B=x=y"]',
      want: [{name: 'app', buildArgs: {A: '1', B: 'x=y'}}],
    },
    {
      why: 'a bare string item means context .',
      images: '- app',
      want: [{name: 'app', context: realWorkspace}],
    },
  ])('$why', ({images, want}) => {
    const config = read({...base, images})
    expect(config.images).toMatchObject(want)
  })

  test('a cleanup needs no context or Dockerfile, and reads its retention rules', () => {
    const given: Record<string, string> = {
      registry: 'localhost:5000',
      images: '- app: ./missing-dir',
      stage: 'cleanup',
      'keep-last': '3',
      'keep-days': '14',
      'keep-tags': 'stable\n/^nightly-/',
    }
    const config = read(given)
    expect(config.stage).toBe('cleanup')
    const inputs = {
      get: (name: string) => given[name] ?? '',
      raw: (name: string) => given[name] ?? '',
    }
    const retention = readRetention(inputs, 'cleanup')
    expect(retention).toMatchObject({keepLast: 3, keepDays: 14})
    expect(retention?.keepTags.map((pattern) => pattern.source)).toEqual(['stable', '/^nightly-/'])
    expect(readRetention({get: () => '', raw: () => ''}, 'cleanup')).toMatchObject({
      keepLast: 10,
      keepDays: undefined,
      keepTags: [],
    })
    // Not a cleanup: the step is off.
    expect(readRetention({get: () => '', raw: () => ''}, 'all')).toBeUndefined()
  })

  test('defaults follow the contract', () => {
    const config = read(base)
    expect(config).toMatchObject({
      builder: 'auto',
      maxParallel: 2,
      retries: 3,
      push: true,
      dryRun: false,
      logout: true,
      provenance: false,
      stage: 'all',
      buildxCreateBuilder: true,
    })
    // Every release step is off by default (ensure-repositories false, no pull secret, no key).
    expect(config.steps.map((step) => [step.name, step.active])).toEqual([
      ['pull-secret', false],
      ['repositories', false],
      ['attestations', false],
      ['signing', false],
      ['replication', false],
      ['cleanup', false],
    ])
    expect(config.registry).toEqual({
      host: 'localhost:5000',
      isOcir: false,
      insecure: true,
      regionId: undefined,
    })
  })

  test.each([
    {why: 'a region key resolves to <key>.ocir.io', inputs: {region: 'iad'}, host: 'iad.ocir.io'},
    {
      why: 'a region id in capitals resolves too',
      inputs: {region: 'US-ASHBURN-1'},
      host: 'iad.ocir.io',
    },
    {
      why: 'registry wins over region',
      inputs: {region: 'iad', registry: 'fra.ocir.io'},
      host: 'fra.ocir.io',
    },
  ])('$why', ({inputs, host}) => {
    const config = read({images: 'app', namespace: 'ns', ...inputs})
    expect(config.registry.host).toBe(host)
    expect(config.registry.isOcir).toBe(true)
  })

  test('OCI_CLI_REGION is the fallback for region', () => {
    expect(read({images: 'app'}, {OCI_CLI_REGION: 'us-phoenix-1'}).registry.host).toBe(
      'phx.ocir.io',
    )
  })

  test.each([
    {
      why: 'a bare OCIR user gets the namespace prefix',
      username: 'jdoe@acme.com',
      want: 'ns1/jdoe@acme.com',
    },
    {
      why: 'a federated user keeps its realm part',
      username: 'oracleidentitycloudservice/jdoe',
      want: 'ns1/oracleidentitycloudservice/jdoe',
    },
    {why: 'an already full name is left alone', username: 'ns1/jdoe', want: 'ns1/jdoe'},
  ])('$why', async ({username, want}) => {
    const config = read({
      region: 'iad',
      namespace: 'ns1',
      username,
      'auth-token': 't',
      images: 'app',
    })
    // The config keeps the input as given; the identity is resolved from it once.
    expect(config.username).toBe(username)
    expect((await resolveIdentity(config)).username).toBe(want)
  })

  test('a username for a non-OCIR registry is used as given', () => {
    expect(read({...base, namespace: 'ns1', username: 'jdoe', 'auth-token': 't'}).username).toBe(
      'jdoe',
    )
  })

  test('the auth token is masked the moment it is read', () => {
    const masked: string[] = []
    readConfig(
      (name) => ({...base, username: 'u', 'auth-token': 's3cret'})[name] ?? '',
      env,
      (secret) => masked.push(secret),
    )
    expect(masked).toContain('s3cret')
  })
})

test.each(['https://proxy.example.com', 'http://127.0.0.1:9000/', 'http://localhost:9000'])(
  'oci-endpoint %s is taken (http:// only on a loopback host)',
  (endpoint) => {
    expect(read({...base, 'oci-endpoint': endpoint}).ociEndpoint).toBe(endpoint.replace(/\/$/, ''))
  },
)

describe('rejected inputs name the input, the value and the fix', () => {
  test.each([
    {
      why: 'an empty YAML list of images',
      inputs: {images: '[]'},
      input: 'images',
      message: /lists no image/,
    },
    {
      why: 'an empty YAML map of images',
      inputs: {images: '{}'},
      input: 'images',
      message: /empty YAML map/,
    },
    {
      why: 'a map of images instead of a list',
      inputs: {images: '{todo-frontend: ./frontend}'},
      input: 'images',
      message: /write a YAML list/,
    },
    {
      why: 'images that are all commented out',
      inputs: {images: '# todo-frontend\n  # todo-backend'},
      input: 'images',
      message: /lists no image \(an empty list, or only comments\)/,
    },
    {
      why: 'an unknown builder',
      inputs: {builder: 'kaniko'},
      input: 'builder',
      message: /kaniko.*use one of auto, buildx, docker, buildah, podman/,
    },
    {why: 'a boolean typo', inputs: {push: 'yes'}, input: 'push', message: /'yes'.*true or false/},
    {
      why: 'max-parallel zero',
      inputs: {'max-parallel': '0'},
      input: 'max-parallel',
      message: /at least 1/,
    },
    {
      why: 'retries not a number',
      inputs: {retries: 'three'},
      input: 'retries',
      message: /whole number/,
    },
    {
      why: 'a registry with a scheme',
      inputs: {registry: 'https://iad.ocir.io'},
      input: 'registry',
      message: /remove the scheme: use 'iad.ocir.io'/,
    },
    {
      why: 'a registry with a path points to namespace',
      inputs: {registry: 'iad.ocir.io/mytenancy'},
      input: 'registry',
      message: /put 'mytenancy' in namespace/,
    },
    {
      why: 'neither region nor registry',
      inputs: {registry: ''},
      input: 'region',
      message: /set region/,
    },
    {
      why: 'an uppercase image name suggests the lowercase one',
      inputs: {images: 'MyApp'},
      input: 'images',
      message: /use 'myapp'/,
    },
    {
      why: 'duplicate image names',
      inputs: {images: 'app\napp'},
      input: 'images',
      message: /two images have this name/,
    },
    {
      why: 'a typo in an image key',
      inputs: {images: '- name: app\n  dockerfile: x'},
      input: 'images',
      message: /unknown key 'dockerfile' \(did you mean "file"\?\)/,
    },
    {
      why: 'malformed YAML',
      inputs: {images: '- name: [app'},
      input: 'images',
      message: /not valid YAML/,
    },
    {
      why: 'a missing context',
      inputs: {images: '- app: ./nowhere'},
      input: 'images',
      message: /context directory does not exist/,
    },
    {
      why: 'a missing Dockerfile',
      inputs: {images: '- name: app\n  file: app/Dockerfile.prod'},
      input: 'images',
      message: /no Dockerfile there/,
    },
    {
      why: 'build-args that are not a map or a list',
      inputs: {images: '- name: app\n  build-args: A=1'},
      input: 'images',
      message: /build-args must be a map/,
    },
    {
      why: 'an empty platform entry',
      inputs: {platforms: 'linux/amd64,,linux/arm64'},
      input: 'platforms',
      message: /empty entry/,
    },
    {
      why: 'a compartment name instead of an OCID',
      inputs: {compartment: 'Sandbox'},
      input: 'compartment',
      message: /compartment OCID/,
    },
    {
      why: 'an http:// oci-endpoint on a host that is not loopback',
      inputs: {'oci-endpoint': 'http://proxy.example.com'},
      input: 'oci-endpoint',
      message:
        /'http:\/\/proxy\.example\.com'.*use https \(https:\/\/proxy\.example\.com\).*loopback host/,
    },
    {
      why: 'an http:// oci-endpoint on a private address is not loopback either',
      inputs: {'oci-endpoint': 'http://10.0.0.5:8080/'},
      input: 'oci-endpoint',
      message: /use https \(https:\/\/10\.0\.0\.5:8080\)/,
    },
    {
      why: 'a token without a username',
      inputs: {'auth-token': 't'},
      input: 'username',
      message: /username is empty/,
    },
    {
      why: 'a username without a token',
      inputs: {username: 'u'},
      input: 'auth-token',
      message: /auth-token is empty/,
    },
    {
      why: 'OCI credentials with a piece missing',
      inputs: {
        'oci-user': 'ocid1.user.oc1..a',
        'oci-tenancy': 'ocid1.tenancy.oc1..a',
        'oci-region': 'iad',
      },
      input: 'oci-fingerprint',
      message: /OCI_CLI_FINGERPRINT/,
    },
    {
      why: 'an OCIR login without a namespace',
      inputs: {registry: 'iad.ocir.io', username: 'jdoe', 'auth-token': 't'},
      input: 'namespace',
      message: /not the tenancy name/,
    },
    {
      why: 'keep-last that is not a whole number',
      inputs: {stage: 'cleanup', 'keep-last': 'three'},
      input: 'keep-last',
      message: /whole number of at least 0/,
    },
    {
      why: 'keep-days of zero',
      inputs: {stage: 'cleanup', 'keep-days': '0'},
      input: 'keep-days',
      message: /whole number of at least 1/,
    },
    {
      why: 'keep-tags with a regular expression that does not compile',
      inputs: {stage: 'cleanup', 'keep-tags': 'latest\n/[unclosed/'},
      input: 'keep-tags',
      message: /does not compile/,
    },
    {
      why: 'keep-days on a run that is not a cleanup',
      inputs: {'keep-days': '30'},
      input: 'keep-days',
      message: /applies to stage: cleanup only/,
    },
  ])('$why', ({inputs, input, message}) => {
    expectInputError(() => read({...base, ...inputs}), input, message)
  })
})

test('every line of an OCI private key is masked on its own, since logs are masked line by line', () => {
  const masked: string[] = []
  const key =
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----'
  try {
    readConfig(
      (name) =>
        ({
          ...base,
          'oci-user': 'ocid1.user.oc1..a',
          'oci-tenancy': 'ocid1.tenancy.oc1..a',
          'oci-fingerprint': '12:34:56:78:90:ab:cd:ef:12:34:56:78:90:ab:cd:ef',
          'oci-region': 'iad',
          'oci-private-key': key,
        })[name] ?? '',
      env,
      (secret) => masked.push(secret),
    )
  } catch {
    // the key is not a real one: only the masking matters here
  }
  expect(masked).toEqual(
    expect.arrayContaining([key, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'BKcwggSjAgEAAoIBAQC7']),
  )
  expect(masked).not.toContain('-----END PRIVATE KEY-----')
})

describe("metadata-action's DOCKER_METADATA_* variables are read here, once", () => {
  test.each<{why: string; env: Record<string, string>; want: object}>([
    {
      why: 'unset: PR head SHA, 7 digits',
      env: {},
      want: {prHeadSha: true, shortShaLength: undefined},
    },
    {
      why: 'false restores the merge commit',
      env: {DOCKER_METADATA_PR_HEAD_SHA: 'false'},
      want: {prHeadSha: false, shortShaLength: undefined},
    },
    {
      why: 'a short SHA length',
      env: {DOCKER_METADATA_SHORT_SHA_LENGTH: '12'},
      want: {prHeadSha: true, shortShaLength: 12},
    },
  ])('$why', ({env: extra, want}) => {
    expect(read({registry: 'r.example', images: 'app'}, extra).metadata).toEqual(want)
  })

  test.each([
    {why: 'not a boolean', name: 'DOCKER_METADATA_PR_HEAD_SHA', value: 'yes'},
    {why: 'not a number', name: 'DOCKER_METADATA_SHORT_SHA_LENGTH', value: 'seven'},
    {why: 'longer than a SHA', name: 'DOCKER_METADATA_SHORT_SHA_LENGTH', value: '41'},
  ])('$name $why is an error naming the variable', ({name, value}) => {
    expectInputError(
      () => read({registry: 'r.example', images: 'app'}, {[name]: value}),
      name,
      new RegExp(value),
    )
  })
})

describe('DOCKER_METADATA_ANNOTATIONS_LEVELS', () => {
  const levels = (value?: string) =>
    read(
      {registry: 'r.example', images: 'app'},
      value === undefined ? {} : {DOCKER_METADATA_ANNOTATIONS_LEVELS: value},
    ).metadata.annotationLevels

  test('unset or empty: undefined (the output gets the manifest level, builds get none)', () => {
    expect(levels()).toBeUndefined()
    expect(levels('  ')).toBeUndefined()
  })

  test('comma-separated, in the order given, each once, spaces ignored', () => {
    expect(levels('index,manifest')).toEqual(['index', 'manifest'])
    expect(levels(' manifest , manifest-descriptor,index-descriptor,manifest ')).toEqual([
      'manifest',
      'manifest-descriptor',
      'index-descriptor',
    ])
  })

  test.each(['manifests', 'Index', 'manifest,', 'manifest[linux/amd64]'])(
    "'%s' is an error naming the variable and the known levels",
    (value) => {
      expectInputError(
        () => levels(value),
        'DOCKER_METADATA_ANNOTATIONS_LEVELS',
        /is not an annotation level: use a comma-separated list of manifest, index, manifest-descriptor, index-descriptor/,
      )
    },
  )
})
