/**
 * Files of a checkout the job may not trust, refused by readConfig before anything is built: a
 * context, Dockerfile or .dockerignore that resolves out of the workspace or into RUNNER_TEMP, a
 * pipe or a device, a file too large, a context a builder would read as stdin or an option, a
 * build arg the builders read as their own setting, a pull secret path that leads out.
 */
import {execFileSync} from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {readConfig} from '../../src/config/read-config.js'
import {describeFailure} from '../../src/errors.js'
import {RELEASE_STEPS} from '../../src/steps/index.js'
import {expectInputError} from '../fixtures/expect-input-error.js'

const scratch = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'build-files-'))
/** Outside the workspace: what a link of the checkout may point at. */
const outside = join(scratch, 'outside')
mkdirSync(join(outside, 'dir'), {recursive: true})
const KEY_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj'
writeFileSync(
  join(outside, 'key.pem'),
  `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`,
)
writeFileSync(join(outside, 'dir', 'Dockerfile'), 'FROM scratch\n')
/** A RUNNER_TEMP that is not around the workspace. */
const runnerTemp = join(scratch, 'runner-temp')
mkdirSync(runnerTemp)

/** A workspace with `app/Dockerfile`, changed by `build`. */
function workspaceWith(build: (dir: string) => void = () => {}): string {
  const dir = mkdtempSync(join(scratch, 'ws-'))
  mkdirSync(join(dir, 'app'))
  writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM scratch\n')
  build(dir)
  return dir
}

function read(workspace: string, inputs: Record<string, string>, temp = runnerTemp) {
  const given: Record<string, string> = {
    registry: 'localhost:5000',
    images: '- app: app',
    ...inputs,
  }
  return readConfig(
    (name) => given[name] ?? '',
    {GITHUB_WORKSPACE: workspace, RUNNER_TEMP: temp},
    () => {},
    RELEASE_STEPS,
  )
}

describe('contexts, Dockerfiles and .dockerignore files that are refused', () => {
  test.each([
    {
      why: 'a Dockerfile that is a symlink to a key outside the workspace',
      build: (dir: string) => {
        const link = join(dir, 'app', 'Dockerfile')
        execFileSync('rm', [link])
        symlinkSync(join(outside, 'key.pem'), link)
      },
      images: '- app: app',
      text: /'app\/Dockerfile'.*image 'app': the Dockerfile resolves to .*outside[/]key\.pem, outside the workspace .*replace the symbolic link with the file itself/,
    },
    {
      why: 'a context that is a symlink to a directory outside',
      build: (dir: string) => symlinkSync(join(outside, 'dir'), join(dir, 'linked')),
      images: '- name: app\n  context: linked\n  file: app/Dockerfile',
      text: /the context resolves to .*outside[/]dir, outside the workspace/,
    },
    {
      why: 'a context above the workspace',
      build: () => {},
      images: '- name: app\n  context: ..\n  file: app/Dockerfile',
      text: /the context resolves to .*, outside the workspace/,
    },
    {
      why: 'an absolute Dockerfile path outside the workspace',
      build: () => {},
      images: `- name: app\n  context: app\n  file: ${join(outside, 'dir', 'Dockerfile')}`,
      text: /the Dockerfile resolves to .*, outside the workspace/,
    },
    {
      why: 'a Dockerfile that is a named pipe (refused without opening it, so nothing blocks)',
      build: (dir: string) => {
        execFileSync('rm', [join(dir, 'app', 'Dockerfile')])
        execFileSync('mkfifo', [join(dir, 'app', 'Dockerfile')])
      },
      images: '- app: app',
      text: /the Dockerfile is a named pipe \(FIFO\), not a regular file; point "file:" at a regular file/,
    },
    {
      why: 'a Dockerfile that is a directory',
      build: (dir: string) => mkdirSync(join(dir, 'app', 'Dockerfile.d')),
      images: '- name: app\n  context: app\n  file: app/Dockerfile.d',
      text: /the Dockerfile is a directory, not a regular file/,
    },
    {
      why: 'a Dockerfile larger than 1 MiB',
      build: (dir: string) => truncateSync(join(dir, 'app', 'Dockerfile'), 1024 * 1024 + 1),
      images: '- app: app',
      text: /the Dockerfile is 1048577 bytes, more than the 1 MiB allowed/,
    },
    {
      why: 'a context that is a file',
      build: (dir: string) => writeFileSync(join(dir, 'plain'), 'x'),
      images: '- name: app\n  context: plain\n  file: app/Dockerfile',
      text: /the context is a regular file, not a directory/,
    },
    {
      why: 'a .dockerignore that is a symlink out of the workspace',
      build: (dir: string) =>
        symlinkSync(join(outside, 'key.pem'), join(dir, 'app', '.dockerignore')),
      images: '- app: app',
      text: /the \.dockerignore resolves to .*key\.pem, outside the workspace/,
    },
    {
      why: 'a <Dockerfile>.dockerignore that is a named pipe',
      build: (dir: string) => execFileSync('mkfifo', [join(dir, 'app', 'Dockerfile.dockerignore')]),
      images: '- app: app',
      text: /the \.dockerignore is a named pipe \(FIFO\)/,
    },
  ])('$why', ({build, images, text}) => {
    const workspace = workspaceWith(build)
    const started = performance.now()
    expectInputError(() => read(workspace, {images}), 'images', text)
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  test('a context that is a symlink into RUNNER_TEMP (here inside the workspace) is refused', () => {
    const workspace = workspaceWith((dir) => {
      mkdirSync(join(dir, '_temp', 'stash'), {recursive: true})
      writeFileSync(join(dir, '_temp', 'stash', 'Dockerfile'), 'FROM scratch\n')
      symlinkSync(join(dir, '_temp', 'stash'), join(dir, 'linked'))
    })
    expectInputError(
      () => read(workspace, {images: '- app: linked'}, join(workspace, '_temp')),
      'images',
      /the context resolves to .*_temp[/]stash, inside RUNNER_TEMP .*keep credentials/,
    )
  })

  test('the error names the key file, never a line of it', () => {
    const workspace = workspaceWith((dir) => {
      execFileSync('rm', [join(dir, 'app', 'Dockerfile')])
      symlinkSync(join(outside, 'key.pem'), join(dir, 'app', 'Dockerfile'))
    })
    let caught: unknown
    try {
      read(workspace, {})
    } catch (err) {
      caught = err
    }
    expect(describeFailure(caught)).toMatch(/key\.pem/)
    expect(describeFailure(caught)).not.toContain(KEY_BODY)
    expect(describeFailure(caught)).not.toContain('BEGIN')
  })

  test('links inside the workspace are fine, and the context comes back resolved', () => {
    const workspace = workspaceWith((dir) => {
      symlinkSync('app', join(dir, 'current'))
      symlinkSync('Dockerfile', join(dir, 'app', 'Dockerfile.link'))
      writeFileSync(join(dir, 'app', '.dockerignore'), 'node_modules\n')
    })
    const config = read(workspace, {
      images: '- name: app\n  context: current\n  file: current/Dockerfile.link',
    })
    expect(config.images[0]).toMatchObject({
      context: realpathSync(join(workspace, 'app')),
      file: 'current/Dockerfile.link',
    })
  })

  test('a merge builds nothing: its contexts are not looked at', () => {
    const config = read(workspaceWith(), {
      images: '- app: ../../nowhere',
      stage: 'merge',
      platforms: 'linux/amd64,linux/arm64',
    })
    expect(config.images[0].context).toBe('../../nowhere')
  })
})

describe('words a builder would read as stdin or an option', () => {
  test.each([
    {why: 'a context of -', images: '- name: app\n  context: "-"', value: '-'},
    {why: 'the short form with -', images: '- app: "-"', value: '-'},
    {why: 'a context that is an option', images: '- app: --no-cache', value: '--no-cache'},
    {why: 'a Dockerfile of -', images: '- name: app\n  context: app\n  file: "-"', value: '-'},
  ])('$why', ({images, value}) => {
    expectInputError(
      () => read(workspaceWith(), {images}),
      'images',
      new RegExp(
        `'${value}'.*image 'app': images\\[0\\]\\.(context|file) starts with "-", which a builder reads as stdin`,
      ),
    )
  })
})

describe('build args', () => {
  test.each([
    'CONTAINER_HOST',
    'CONTAINER_CONNECTION',
    'PATH',
    'HOME',
    'DOCKER_HOST',
    'docker_config',
    'BUILDX_BUILDER',
    'BUILDKIT_HOST',
    'BUILDAH_ISOLATION',
    'CONTAINERS_CONF',
    'STORAGE_DRIVER',
    'REGISTRY_AUTH_FILE',
    'XDG_RUNTIME_DIR',
    'TMPDIR',
    'LD_PRELOAD',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
    'GODEBUG',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
  ])('%s is the builders’ own setting: refused, naming image, build arg and fix', (name) => {
    expectInputError(
      () =>
        read(workspaceWith(), {
          images: `- name: app\n  context: app\n  build-args:\n    ${name}: x`,
        }),
      'images',
      new RegExp(
        `'${name}'.*image 'app': images\\[0\\]\\.build-args: the build arg ${name} is a variable the builders .* read from their own environment.*give it another name`,
      ),
    )
  })

  test('a name with "=" is no build-arg name', () => {
    expectInputError(
      () =>
        read(workspaceWith(), {images: '- name: app\n  context: app\n  build-args: {"A=B": x}'}),
      'images',
      /the build arg A=B is not a build-arg name/,
    )
  })

  test("Docker's proxy ARGs, BuildKit's own build args and SOURCE_DATE_EPOCH are allowed", () => {
    const names = [
      'HTTP_PROXY',
      'https_proxy',
      'NO_PROXY',
      'FTP_PROXY',
      'ALL_PROXY',
      'BUILDKIT_INLINE_CACHE',
      'SOURCE_DATE_EPOCH',
      'NPM_TOKEN',
    ]
    const config = read(workspaceWith(), {
      images: `- name: app\n  context: app\n  build-args:\n${names.map((name) => `    ${name}: x`).join('\n')}`,
    })
    expect(Object.keys(config.images[0].buildArgs)).toEqual(names)
  })
})

describe('the pull secret path', () => {
  const login = {username: 'u', 'auth-token': 't'}

  test.each([
    {
      why: 'a symlink to a file outside the workspace',
      build: (dir: string) => symlinkSync(join(outside, 'key.pem'), join(dir, 'secret.yaml')),
      path: 'secret.yaml',
      text: /'secret\.yaml'.*the pull secret file is a symbolic link that resolves to .*key\.pem, outside the workspace/,
    },
    {
      why: 'a dangling symlink',
      build: (dir: string) => symlinkSync(join(outside, 'nothing.yaml'), join(dir, 'secret.yaml')),
      path: 'secret.yaml',
      text: /is a symbolic link to a path that does not exist/,
    },
    {
      why: 'in a directory that is a symlink out',
      build: (dir: string) => symlinkSync(join(outside, 'dir'), join(dir, 'k8s')),
      path: 'k8s/secret.yaml',
      text: /is in the directory .*k8s, which resolves to .*outside[/]dir, outside the workspace/,
    },
    {
      why: 'above the workspace',
      build: () => {},
      path: '../secret.yaml',
      text: /outside the workspace/,
    },
    {
      why: 'a directory',
      build: (dir: string) => mkdirSync(join(dir, 'k8s')),
      path: 'k8s',
      text: /the pull secret file is a directory, not a regular file/,
    },
  ])('$why', ({build, path, text}) => {
    expectInputError(
      () => read(workspaceWith(build), {...login, 'pull-secret': path}),
      'pull-secret',
      text,
    )
  })

  test('a new path in new directories of the workspace is fine', () => {
    const config = read(workspaceWith(), {...login, 'pull-secret': 'deploy/k8s/secret.yaml'})
    expect(config.steps.find((step) => step.name === 'pull-secret')?.active).toBe(true)
  })
})
