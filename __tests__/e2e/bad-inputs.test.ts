/**
 * The catalogue of realistic bad inputs: each run of `node dist/index.js` exits non-zero with one
 * `::error::` annotation that names the input and the value, prints no stack trace, and leaves the
 * registry untouched.
 */
import {execFileSync} from 'node:child_process'
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {parse} from 'yaml'
import {cosignEncryptedKey, makeSigningKey} from '../fixtures/cosign-check.js'
import {registryTags} from '../fixtures/registry-probe.js'
import {unrelatedPrivateKeyPem} from '../fixtures/oci-double.js'
import {PROJECT_ROOT, runAction} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const registry = env.registries.htpasswd
const namespace = uniqueNamespace('bad')
const good = {
  registry: registry.host,
  namespace,
  username: registry.username,
  'auth-token': registry.password,
  images: '- todo-frontend: ./frontend',
}
const notPem = 'this is not a key'
const cosignKey = cosignEncryptedKey(makeSigningKey().privateKey, 'the-right-password')
const someOcid = {
  'oci-user': 'ocid1.user.oc1..aaaa',
  'oci-tenancy': 'ocid1.tenancy.oc1..aaaa',
  'oci-fingerprint': '12:34:56:78:90:ab:cd:ef:12:34:56:78:90:ab:cd:ef',
  'oci-region': 'us-ashburn-1',
}

/** Outside every workspace below: what a link of a hostile checkout points at. */
const OUTSIDE = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'bad-outside-'))
writeFileSync(join(OUTSIDE, 'Dockerfile'), 'FROM scratch\n')
const OUTSIDE_SECRET = 'apiVersion: v1\nkind: Secret\n# not to be overwritten\n'
writeFileSync(join(OUTSIDE, 'secret.yaml'), OUTSIDE_SECRET)

/** A checkout of its own with one image, `app/`, then changed by `build`. */
function checkout(build: (dir: string) => void): string {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'bad-checkout-'))
  mkdirSync(join(dir, 'app'))
  writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM scratch\nCOPY . /\n')
  build(dir)
  return dir
}

const replaceDockerfile = (dir: string, make: (path: string) => void): void => {
  execFileSync('rm', [join(dir, 'app', 'Dockerfile')])
  make(join(dir, 'app', 'Dockerfile'))
}
const linkedWorkspace = checkout((dir) =>
  replaceDockerfile(dir, (path) => symlinkSync(join(OUTSIDE, 'Dockerfile'), path)),
)
const fifoWorkspace = checkout((dir) =>
  replaceDockerfile(dir, (path) => execFileSync('mkfifo', [path])),
)
/** RUNNER_TEMP inside the workspace here, so that only the RUNNER_TEMP rule can refuse the link. */
const tempWorkspace = checkout((dir) => {
  mkdirSync(join(dir, 'runner-temp', 'stash'), {recursive: true})
  writeFileSync(join(dir, 'runner-temp', 'stash', 'Dockerfile'), 'FROM scratch\n')
  symlinkSync(join(dir, 'runner-temp', 'stash'), join(dir, 'linked'))
})
const secretWorkspace = checkout((dir) =>
  symlinkSync(join(OUTSIDE, 'secret.yaml'), join(dir, 'pull-secret.yaml')),
)

/** The inputs action.yml declares: the only names a row may set or expect an error about. */
const DECLARED_INPUTS = Object.keys(
  (parse(readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')) as {inputs: object}).inputs,
)

interface Row {
  why: string
  inputs: Record<string, string>
  /** The input the error must name: one action.yml declares, or a variable the row sets in env. */
  input: string
  text: RegExp
  /** A workspace of its own (default: examples/todo-app). */
  workspace?: string
  env?: Record<string, string>
  /** A named pipe the run must not wait on: released after a while, so a hang fails, not stalls. */
  fifo?: string
}

const CATALOGUE: Row[] = [
  {why: 'images is empty', inputs: {images: ''}, input: 'images', text: /list at least one image/},
  {
    why: 'images is an empty YAML list',
    inputs: {images: '[]'},
    input: 'images',
    text: /lists no image/,
  },
  {
    why: 'images is an empty YAML map',
    inputs: {images: '{}'},
    input: 'images',
    text: /empty YAML map/,
  },
  {
    why: 'images holds nothing but comments',
    inputs: {images: '# - todo-frontend: ./frontend\n# - todo-backend: ./backend'},
    input: 'images',
    text: /lists no image.*only comments/,
  },
  {
    why: 'images is a list whose items are all commented out',
    inputs: {images: '- todo-frontend: ./frontend'.replace('-', '# -')},
    input: 'images',
    text: /lists no image/,
  },
  {
    why: 'images is malformed YAML',
    inputs: {images: '- name: [todo'},
    input: 'images',
    text: /not valid YAML/,
  },
  {
    why: 'images is a YAML map, not a list',
    inputs: {images: '[{name: a}, b: ]'},
    input: 'images',
    text: /images/,
  },
  {
    why: 'a duplicate image name',
    inputs: {images: '- todo-frontend: ./frontend\n- todo-frontend: ./backend'},
    input: 'images',
    text: /two images have this name/,
  },
  {
    why: 'an uppercase image name',
    inputs: {images: '- Todo-Frontend: ./frontend'},
    input: 'images',
    text: /use 'todo-frontend'/,
  },
  {
    why: 'an image name with a space',
    inputs: {images: 'todo frontend'},
    input: 'images',
    text: /one image name each/,
  },
  {
    why: 'an image name with a tag',
    inputs: {images: '- name: todo:1.0\n  context: frontend'},
    input: 'images',
    text: /lowercase letters, digits/,
  },
  {
    why: 'a typo dockerfile: for file:',
    inputs: {
      images: '- name: todo-frontend\n  context: frontend\n  dockerfile: frontend/Dockerfile',
    },
    input: 'images',
    text: /did you mean "file"/,
  },
  {
    why: 'a missing context',
    inputs: {images: '- todo-frontend: ./frontnd'},
    input: 'images',
    text: /context directory does not exist/,
  },
  {
    why: 'a missing Dockerfile',
    inputs: {
      images: '- name: todo-frontend\n  context: frontend\n  file: frontend/Dockerfile.prod',
    },
    input: 'images',
    text: /no Dockerfile there/,
  },
  {
    why: 'build-args as a string',
    inputs: {images: '- name: todo-backend\n  context: backend\n  build-args: A=1'},
    input: 'images',
    text: /build-args must be a map/,
  },
  {
    why: 'a nested build-arg value',
    inputs: {images: '- name: todo-backend\n  context: backend\n  build-args:\n    A:\n      B: 1'},
    input: 'images',
    text: /must be a plain value/,
  },
  {
    why: 'an unknown builder',
    inputs: {builder: 'kaniko'},
    input: 'builder',
    text: /use one of auto, buildx, docker, buildah, podman/,
  },
  {
    // The line may be a value: it is never shown, only its number.
    why: 'a secrets line that is not id=value',
    inputs: {secrets: 'npm=ok-value\nBareTokenWithoutAnId42'},
    input: 'secrets',
    text: /^(?!.*BareTokenWithoutAnId42).*input 'secrets' has a line that is not id=value \(line 2\).*not shown: it may hold a secret/,
  },
  {why: 'an invalid tag rule type', inputs: {tags: 'type=commit'}, input: 'tags', text: /commit/},
  {
    why: 'an unknown tag rule attribute',
    inputs: {tags: 'type=sha,length=7'},
    input: 'tags',
    text: /length/,
  },
  {
    why: 'a semver pattern with an unclosed expression',
    inputs: {tags: 'type=semver,pattern={{major}}.{{minor'},
    input: 'tags',
    text: /type=semver,pattern=\{\{major\}\}\.\{\{minor'.*'\{\{minor' is never closed/,
  },
  {
    why: 'a value with a closing }} and no opening',
    inputs: {tags: 'type=raw,value=build-{{sha}}}}'},
    input: 'tags',
    text: /in value=, '\}\}' ends with '\}\}' that no '\{\{' opened/,
  },
  {
    why: 'a flavor suffix with an unclosed expression',
    inputs: {flavor: 'suffix=-{{branch,onlatest=true'},
    input: 'flavor',
    text: /in suffix=, '-?\{\{branch' is never closed/,
  },
  {
    why: 'a semver match= that is not a regular expression',
    inputs: {tags: 'type=semver,pattern={{version}},match=v(\\d'},
    input: 'tags',
    text: /match is not a valid regular expression/,
  },
  {
    why: 'an invalid flavor',
    inputs: {flavor: 'latest=sometimes'},
    input: 'flavor',
    text: /sometimes/,
  },
  {
    why: 'a typo in a region',
    inputs: {registry: '', region: 'us-ashbrun-1'},
    input: 'region',
    text: /us-ashburn-1/,
  },
  {
    why: 'a registry with a scheme',
    inputs: {registry: 'https://iad.ocir.io'},
    input: 'registry',
    text: /remove the scheme/,
  },
  {
    why: 'a registry with a path',
    inputs: {registry: 'iad.ocir.io/mytenancy'},
    input: 'registry',
    text: /in namespace/,
  },
  {why: 'neither region nor registry', inputs: {registry: ''}, input: 'region', text: /set region/},
  {
    why: 'a boolean that is not true/false',
    inputs: {push: 'yes'},
    input: 'push',
    text: /true or false/,
  },
  {why: 'a dry-run typo', inputs: {'dry-run': 'ture'}, input: 'dry-run', text: /true or false/},
  {
    why: 'max-parallel of zero',
    inputs: {'max-parallel': '0'},
    input: 'max-parallel',
    text: /at least 1/,
  },
  {
    why: 'retries that are not a number',
    inputs: {retries: 'many'},
    input: 'retries',
    text: /whole number/,
  },
  {
    why: 'an empty platform entry',
    inputs: {platforms: 'linux/amd64,'},
    input: 'platforms',
    text: /empty entry/,
  },
  {
    why: 'a platform without an os',
    inputs: {platforms: 'amd64'},
    input: 'platforms',
    text: /os\/arch/,
  },
  {
    why: 'a token without a username',
    inputs: {username: ''},
    input: 'username',
    text: /username is empty/,
  },
  {
    why: 'a username without a token',
    inputs: {'auth-token': ''},
    input: 'auth-token',
    text: /auth-token is empty/,
  },
  {
    why: 'an uppercase namespace',
    inputs: {namespace: 'MyTenancy'},
    input: 'namespace',
    text: /use 'mytenancy'/,
  },
  {
    why: 'a non-PEM private key',
    inputs: {...someOcid, 'oci-private-key': notPem},
    input: 'oci-private-key',
    text: /not a PEM private key/,
  },
  {
    why: 'a key file path instead of its content',
    inputs: {...someOcid, 'oci-private-key': '~/.oci/oci_api_key.pem'},
    input: 'oci-private-key',
    text: /file path/,
  },
  {
    why: 'a user name instead of a user OCID',
    inputs: {...someOcid, 'oci-user': 'jdoe@acme.com', 'oci-private-key': notPem},
    input: 'oci-user',
    text: /user OCID/,
  },
  {
    why: 'a compartment name instead of an OCID',
    inputs: {compartment: 'Sandbox'},
    input: 'compartment',
    text: /compartment OCID/,
  },
  {
    why: 'ensure-repositories without OCI credentials',
    inputs: {'ensure-repositories': 'true'},
    input: 'ensure-repositories',
    text: /needs OCI API credentials/,
  },
  {
    why: 'an oci-endpoint with a path',
    inputs: {'oci-endpoint': 'https://proxy.example.com/oci'},
    input: 'oci-endpoint',
    text: /no path/,
  },
  {
    why: 'a stage that does not exist',
    inputs: {stage: 'deploy'},
    input: 'stage',
    text: /all, platform, merge, cleanup/,
  },
  {
    why: 'a cleanup with keep-last that is not a number',
    inputs: {stage: 'cleanup', 'keep-last': 'ten'},
    input: 'keep-last',
    text: /whole number of at least 0/,
  },
  {
    why: 'a cleanup with a negative keep-days',
    inputs: {stage: 'cleanup', 'keep-days': '-7'},
    input: 'keep-days',
    text: /whole number of at least 1/,
  },
  {
    why: 'a cleanup with a keep-tags regular expression that does not compile',
    inputs: {stage: 'cleanup', 'keep-tags': 'stable\n/^v(\\d+$/'},
    input: 'keep-tags',
    text: /does not compile/,
  },
  {
    why: 'a cleanup with a keep-tags glob holding a slash',
    inputs: {stage: 'cleanup', 'keep-tags': 'release/*'},
    input: 'keep-tags',
    text: /tag glob/,
  },
  {
    why: 'keep-tags on a build run, where it would do nothing',
    inputs: {'keep-tags': 'stable'},
    input: 'keep-tags',
    text: /applies to stage: cleanup only/,
  },
  {
    why: 'a sign-key that is not a key',
    inputs: {'sign-key': notPem},
    input: 'sign-key',
    text: /not a PEM private key/,
  },
  {
    why: "a wrong password for cosign's encrypted key",
    inputs: {'sign-key': cosignKey, 'sign-key-password': 'not-the-password'},
    input: 'sign-key-password',
    text: /does not decrypt sign-key/,
  },
  {
    why: 'an RSA key as sign-key',
    inputs: {'sign-key': unrelatedPrivateKeyPem()},
    input: 'sign-key',
    text: /sign with an ECDSA P-256 key/,
  },
  {
    why: 'a Vault key without OCI API credentials',
    inputs: {
      'sign-kms-key-id': 'ocid1.key.oc1.iad.vault.aaaa',
      'sign-kms-key-version-id': 'ocid1.keyversion.oc1.iad.0.vault.bbbb',
      'sign-kms-crypto-endpoint': 'https://vault-crypto.kms.us-ashburn-1.oraclecloud.com',
    },
    input: 'sign-kms-key-id',
    text: /needs OCI API credentials/,
  },
  {
    why: 'a signing algorithm OCIR does not take',
    inputs: {'sign-algorithm': 'ECDSA_SHA_256'},
    input: 'sign-algorithm',
    text: /RSA-PSS/,
  },
  {
    why: 'SOURCE_DATE_EPOCH that is a date',
    inputs: {},
    env: {SOURCE_DATE_EPOCH: '2024-01-01'},
    input: 'SOURCE_DATE_EPOCH',
    text: /whole seconds/,
  },
  // A checkout the job may not trust: its files must stay files of the checkout.
  {
    why: 'a Dockerfile that is a symlink to a file outside the workspace',
    inputs: {images: '- todo-frontend: app'},
    workspace: linkedWorkspace,
    input: 'images',
    text: /'app\/Dockerfile'.*image 'todo-frontend': the Dockerfile resolves to \S+\/Dockerfile, outside the workspace .*replace the symbolic link/,
  },
  {
    why: 'a context that is a symlink into RUNNER_TEMP',
    inputs: {images: '- name: todo-frontend\n  context: linked'},
    workspace: tempWorkspace,
    env: {RUNNER_TEMP: join(tempWorkspace, 'runner-temp')},
    input: 'images',
    text: /'linked'.*the context resolves to \S+runner-temp\/stash, inside RUNNER_TEMP/,
  },
  {
    why: 'a pull-secret path that is a symlink to a file outside the workspace',
    inputs: {images: '- todo-frontend: app', 'pull-secret': 'pull-secret.yaml'},
    workspace: secretWorkspace,
    input: 'pull-secret',
    text: /'pull-secret\.yaml'.*is a symbolic link that resolves to \S+secret\.yaml, outside the workspace/,
  },
  {
    why: 'a context of "-" (stdin to docker)',
    inputs: {images: '- name: todo-frontend\n  context: "-"'},
    input: 'images',
    text: /'-'.*images\[0\]\.context starts with "-", which a builder reads as stdin/,
  },
  {
    why: 'a build arg CONTAINER_HOST (where podman would send the build)',
    inputs: {
      images:
        '- name: todo-frontend\n  context: frontend\n  build-args:\n    CONTAINER_HOST: ssh://attacker.example/run/podman.sock',
    },
    input: 'images',
    text: /'CONTAINER_HOST'.*the build arg CONTAINER_HOST is a variable the builders .*give it another name/,
  },
  {
    why: 'a Dockerfile that is a named pipe (the run fails at once, never waits on it)',
    inputs: {images: '- todo-frontend: app'},
    workspace: fifoWorkspace,
    fifo: join(fifoWorkspace, 'app', 'Dockerfile'),
    input: 'images',
    text: /the Dockerfile is a named pipe \(FIFO\), not a regular file/,
  },
]

/**
 * Opens `fifo` for writing (and closes it) every half second after `delayMs`: a run blocked on
 * reading it gets an end of file and goes on, so a row that waits fails instead of hanging.
 */
function releaseLater(fifo: string, delayMs: number): () => void {
  let interval: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    interval = setInterval(() => {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK))
      } catch {
        // nobody is reading it (ENXIO)
      }
    }, 500)
  }, delayMs)
  return () => {
    clearTimeout(timer)
    clearInterval(interval)
  }
}

describe('every bad input stops the run before anything changes', () => {
  /** The rows whose run got to its last assertion: it failed, with its message, and nothing else. */
  const failedAsExpected = new Set<string>()

  test.each(CATALOGUE)('$why', async ({why, inputs, input, text, workspace, env, fifo}) => {
    const started = Date.now()
    const release = fifo ? releaseLater(fifo, 20_000) : undefined
    const run = await runAction({inputs: {...good, ...inputs}, workspace, env}).finally(release)
    // Checked before any build: no row waits on the engine, the registry or a pipe.
    if (fifo) expect(Date.now() - started).toBeLessThan(20_000)
    expect(run.exitCode).not.toBe(0)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain(`'${input}'`)
    expect(run.errors[0]).toMatch(text)
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/)
    // No login happened, so there is nothing for a post step to clean up.
    expect(run.state.cleanup).toBeUndefined()
    failedAsExpected.add(why)
  })

  test('every row sets and names inputs action.yml declares, and every row ran and failed with its message', () => {
    expect(DECLARED_INPUTS).toContain('images')
    for (const row of CATALOGUE) {
      // A row that sets an input the action does not read proves nothing about that input.
      for (const name of Object.keys(row.inputs)) expect(DECLARED_INPUTS, row.why).toContain(name)
      expect([...DECLARED_INPUTS, ...Object.keys(row.env ?? {})], row.why).toContain(row.input)
    }
    expect(new Set(CATALOGUE.map((row) => row.why)).size, 'each row has its own name').toBe(
      CATALOGUE.length,
    )
    // Each row above reached its last assertion: it ran, failed, and named its input and reason.
    expect(CATALOGUE.filter((row) => !failedAsExpected.has(row.why)).map((row) => row.why)).toEqual(
      [],
    )
  })

  test('the file a pull-secret link points at was not written through', () => {
    expect(readFileSync(join(OUTSIDE, 'secret.yaml'), 'utf8')).toBe(OUTSIDE_SECRET)
  })

  test('the registry was not touched by any of them', async () => {
    expect(await registryTags(registry, `${namespace}/todo-frontend`)).toEqual([])
    expect(await registryTags(registry, `${namespace}/todo-backend`)).toEqual([])
  })
})
