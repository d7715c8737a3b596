import {expect, test} from 'vitest'
import {selectEngine, type EngineSettings} from '../../src/adapters/select-engine.js'
import {ActionError} from '../../src/errors.js'

const settings: EngineSettings = {
  configDir: '/cfg',
  workspace: '/ws',
  insecureHosts: [],
  provenance: false,
  env: {},
}

/** A probe that says yes to the listed commands (as `tool subcommand`). */
const probeOf = (working: string[]) => async (tool: string, args: string[]) => {
  const ok = working.includes(`${tool} ${args[0]}`)
  return {ok, detail: ok ? '' : 'not found'}
}

test.each([
  {why: 'buildx when the plugin works', working: ['docker buildx', 'docker info'], want: 'buildx'},
  {
    why: 'docker when only the engine works',
    working: ['docker info', 'buildah version'],
    want: 'docker',
  },
  {why: 'buildah without docker', working: ['buildah version', 'podman version'], want: 'buildah'},
  {why: 'podman last', working: ['podman version'], want: 'podman'},
])('auto picks $why', async ({working, want}) => {
  expect((await selectEngine('auto', settings, probeOf(working))).name).toBe(want)
})

test('auto with no builder at all names every one it tried', async () => {
  const selection = selectEngine('auto', settings, probeOf([]))
  await expect(selection).rejects.toThrow(ActionError)
  await expect(selection).rejects.toThrow(/no image builder works.*buildx.*docker.*buildah.*podman/)
})

test('an explicit builder that does not work says so, and does not fall back', async () => {
  await expect(selectEngine('buildah', settings, probeOf(['docker info']))).rejects.toThrow(
    /builder 'buildah' does not work on this runner: buildah \(`buildah version`: not found\)/,
  )
})
