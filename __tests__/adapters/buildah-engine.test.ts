import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {BuildahEngine} from '../../src/adapters/buildah-engine.js'
import type {BuildCache} from '../../src/plan/build-step.js'
import {registryLayers} from '../fixtures/registry-probe.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

describe('layer cache: a cold buildah takes unchanged layers from the cache repository', () => {
  const registry = testEnvironment().registries.open
  const namespace = uniqueNamespace('cache')
  const repository = `${registry.host}/${namespace}/app`
  const cacheRepository = `${repository}-buildcache`
  let workspace = ''
  let configDir = ''
  let storageRoot = ''

  beforeAll(() => {
    const temp = process.env.RUNNER_TEMP as string
    workspace = mkdtempSync(join(temp, 'cache-ws-'))
    configDir = mkdtempSync(join(temp, 'cache-cfg-'))
    storageRoot = mkdtempSync(join(temp, 'cache-storage-'))
    // What a login leaves; the open registry needs no credentials.
    writeFileSync(join(configDir, 'config.json'), '{"auths":{}}\n')
    // A token no one else's build has, so no other cache can serve the dependency step.
    writeFileSync(
      join(workspace, 'Dockerfile'),
      [
        `FROM ${testEnvironment().baseImageInRegistry}`,
        `RUN echo ${namespace} > /deps && sleep 1`,
        'COPY app.txt /app.txt',
      ].join('\n'),
    )
  })
  afterAll(() => {
    rmSync(storageRoot, {recursive: true, force: true})
  })

  /**
   * Builds and pushes one release in container storage of its own, as a fresh runner has: no
   * layer of an earlier release is there, and nothing in the machine's shared storage changes.
   */
  async function release(
    version: string,
    cache: BuildCache | undefined,
  ): Promise<{lines: string[]}> {
    writeFileSync(join(workspace, 'app.txt'), `version ${version}\n`)
    const storage = join(storageRoot, version)
    mkdirSync(storage)
    writeFileSync(
      join(storage, 'storage.conf'),
      `[storage]\ndriver = "vfs"\ngraphroot = "${storage}/root"\nrunroot = "${storage}/run"\n`,
    )
    // Without a cache nothing says --tls-verify=false, so the base image's pull needs this.
    writeFileSync(
      join(storage, 'registries.conf'),
      `[[registry]]\nlocation = "${registry.host}"\ninsecure = true\n`,
    )
    const saved = {...process.env}
    process.env.CONTAINERS_STORAGE_CONF = join(storage, 'storage.conf')
    if (!cache) process.env.CONTAINERS_REGISTRIES_CONF = join(storage, 'registries.conf')
    try {
      const ref = `${repository}:${version}`
      const engine = new BuildahEngine(
        {
          builder: 'buildah',
          configDir,
          insecureHosts: [registry.host],
          provenance: false,
          ghaCache: false,
        },
        workspace,
      )
      const lines: string[] = []
      await engine.build(
        {
          image: 'app',
          imageName: repository,
          context: '.',
          file: 'Dockerfile',
          buildArgs: {},
          labels: {'org.opencontainers.image.version': version},
          platforms: [],
          refs: [ref],
          pushRefs: [ref],
          push: true,
          cache,
        },
        (line) => lines.push(line),
      )
      await engine.push(ref, () => undefined)
      return {lines}
    } finally {
      process.env.CONTAINERS_STORAGE_CONF = saved.CONTAINERS_STORAGE_CONF
      process.env.CONTAINERS_REGISTRIES_CONF = saved.CONTAINERS_REGISTRIES_CONF
      if (saved.CONTAINERS_STORAGE_CONF === undefined) delete process.env.CONTAINERS_STORAGE_CONF
      if (saved.CONTAINERS_REGISTRIES_CONF === undefined)
        delete process.env.CONTAINERS_REGISTRIES_CONF
    }
  }

  test('version 2 reuses the dependency layer of version 1; without the cache the step runs again', async () => {
    const cache: BuildCache = {images: [`${repository}:1`], imageName: cacheRepository}
    const first = await release('1', cache)
    expect(first.lines.join('\n')).toContain(`--> Pushing cache ${cacheRepository}:`)
    expect(first.lines.join('\n')).not.toMatch(/Using cache/)

    const second = await release('2', cache)
    const dependency = dependencyStep(second.lines)
    expect(dependency).toMatch(
      new RegExp(`^--> Cache pulled from remote ${escape(cacheRepository)}:[0-9a-f]{64}$`, 'm'),
    )
    expect(dependency).toMatch(/^--> Using cache [0-9a-f]{64}$/m)

    const third = await release('3', undefined)
    expect(third.lines.join('\n')).not.toMatch(/Using cache|Cache pulled/)

    const [one, two, three] = await Promise.all(['1', '2', '3'].map(layersOf))
    expect(one).toHaveLength(3)
    expect(two[0]).toBe(one[0]) // the base image
    expect(two[1]).toBe(one[1]) // the dependency step: taken from the cache
    expect(two[2]).not.toBe(one[2]) // app.txt changed
    expect(three[1]).not.toBe(one[1]) // run again: a layer of its own
  })

  const layersOf = (version: string): Promise<string[]> =>
    registryLayers(registry, `${namespace}/app`, version)
})

/** The build log of the Containerfile's RUN step, up to the next step. */
function dependencyStep(lines: string[]): string {
  const start = lines.findIndex((line) => /^STEP \d+\/\d+: RUN /.test(line))
  const end = lines.findIndex((line, index) => index > start && /^STEP \d+\/\d+: /.test(line))
  return lines.slice(start, end).join('\n')
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
