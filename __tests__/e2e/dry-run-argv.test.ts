/**
 * A dry run prints the command lines a real run gives the builders, word for word. Both runs go
 * through dist/index.js; the real one meets shims on PATH that record their argv instead of
 * building (so buildx, which cannot run here, is covered too). The dry run's lines are read back
 * into argv by a shell-word parser of this file's own, and compared with the recorded argv arrays,
 * so a quoting bug in the action's renderCommand cannot hide a difference. Two things a dry run
 * cannot know are normalised: the private config dir's random suffix, and the build key label (a dry run asks
 * no registry for base image digests, so it has no key).
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {PROJECT_ROOT, runAction, type ActionRun} from '../fixtures/run-action.js'

const SHIMS = join(PROJECT_ROOT, '__tests__/fixtures/argv-shims')
const PROBES =
  /^(docker buildx version|docker buildx inspect|docker info|docker image inspect|buildah version|podman version)\b/

/** Characters a POSIX shell gives a meaning when they stand unquoted. */
const SHELL_SPECIAL = new Set([...'|&;<>()$`*?[]{}!'])

/**
 * The words a POSIX shell makes of one line, written here on purpose rather than taken from the
 * action (its renderCommand), so that a quoting bug there shows up as a difference: blanks
 * separate words; '…' is literal up to the next ' (so '\'' is: end the quote, a quoted ', start
 * again); a backslash outside quotes takes the next character as it is; "…" is literal but for
 * \\, \" \$ and \`. A character the shell would act on unquoted ($, *, ;, …), a word starting with
 * # or ~, or a first word holding = (an assignment, not a command) is an error: the line would not
 * run the argv it shows.
 */
function shellWords(line: string): string[] {
  const words: string[] = []
  let word: string | undefined
  const fail = (why: string, at: number): never => {
    throw new Error(`${why} at column ${at + 1} of: ${line}`)
  }
  for (let i = 0; i < line.length; i++) {
    const char = line[i]
    if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word)
      word = undefined
      continue
    }
    if (word === undefined && (char === '#' || char === '~'))
      fail(`a word starting with ${char}`, i)
    word ??= ''
    if (char === "'") {
      const end = line.indexOf("'", i + 1)
      if (end < 0) fail('an unterminated single quote', i)
      word += line.slice(i + 1, end)
      i = end
    } else if (char === '\\') {
      if (i + 1 >= line.length) fail('a backslash at the end of the line', i)
      word += line[++i]
    } else if (char === '"') {
      let j = i + 1
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '$' || line[j] === '`')
          fail(`an expansion (${line[j]}) in double quotes`, j)
        if (line[j] === '\\' && '\\"$`'.includes(line[j + 1] ?? '')) j++
        word += line[j]
      }
      if (j >= line.length) fail('an unterminated double quote', i)
      i = j
    } else if (SHELL_SPECIAL.has(char)) {
      fail(`an unquoted ${char}`, i)
    } else {
      word += char
    }
  }
  if (word !== undefined) words.push(word)
  if (words[0]?.includes('=')) fail('a first word that is an assignment', 0)
  return words
}

/** The argv of every command the run's summary lists (comments left out), paths normalised. */
function dryRunCommands(run: ActionRun): string[][] {
  const block = /Commands this run would make:[\s\S]*?<code>([\s\S]*?)<\/code>/.exec(run.summary)
  expect(block, run.summary).not.toBeNull()
  const text = (block?.[1] ?? '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => normalise(shellWords(line), run))
}

/** What the shims recorded, argv as they got it, without the builder probes. */
function recordedCommands(log: string, run: ActionRun): string[][] {
  return readFileSync(log, 'utf8')
    .split('\x1e')
    .filter((record) => record !== '')
    .map((record) => record.split('\x1f'))
    .filter((argv) => !PROBES.test(argv.join(' ')))
    .map((argv) => normalise(argv, run))
}

/**
 * The two things a dry run cannot know, taken out of an argv: the private config dir's random
 * suffix, and the build key label (a dry run asks no registry for base image digests).
 */
function normalise(argv: string[], run: ActionRun): string[] {
  const words = argv.map((word) =>
    word
      .split(run.env.RUNNER_TEMP)
      .join('$RUNNER_TEMP')
      .replace(/ocir-push-docker-[A-Za-z0-9]{6}/g, 'ocir-push-docker-XXXXXX'),
  )
  const buildKey = /^dev\.ocir-push\.build-key=(sha256:[0-9a-f]{64})?$/
  return words.filter(
    (word, index) =>
      !(word === '--label' && buildKey.test(words[index + 1] ?? '')) &&
      !(words[index - 1] === '--label' && buildKey.test(word)),
  )
}

test('the shell-word parser reads quoting as a shell does, and refuses what a shell would act on', () => {
  expect(shellWords(`docker build --label 'team=web ui' --label 'it'\\''s' a\\ b "c d" -`)).toEqual(
    ['docker', 'build', '--label', 'team=web ui', '--label', "it's", 'a b', 'c d', '-'],
  )
  expect(shellWords("x '' y")).toEqual(['x', '', 'y'])
  for (const line of ['echo $HOME', 'a;b', 'a *', "a 'b", 'a #b', 'A=1 docker', 'a "$x"'])
    expect(() => shellWords(line), line).toThrow()
})

test.each<{builder: string; stage: string; levels?: string}>([
  {builder: 'docker', stage: 'all'},
  {builder: 'buildx', stage: 'all'},
  {builder: 'buildah', stage: 'all'},
  {builder: 'podman', stage: 'all'},
  {builder: 'docker', stage: 'platform'},
  {builder: 'buildx', stage: 'platform'},
  {builder: 'podman', stage: 'platform'},
  // DOCKER_METADATA_ANNOTATIONS_LEVELS: --annotation words (and buildah's --format oci).
  {builder: 'buildx', stage: 'all', levels: 'manifest,index'},
  {builder: 'buildah', stage: 'all', levels: 'manifest'},
  {builder: 'docker', stage: 'all', levels: 'manifest'},
])(
  '$builder, stage $stage, annotation levels $levels: the dry run lists exactly the argv the real run gives the builder',
  async ({builder, stage, levels}) => {
    const inputs = {
      registry: '127.0.0.1:5999',
      namespace: 'argv',
      username: 'tester',
      'auth-token': 'not-a-real-token',
      builder,
      stage,
      images: [
        '- name: todo-frontend',
        '  context: frontend',
        '  labels: {team: "web ui"}',
        '- name: todo-backend',
        '  context: backend',
        '  target: runtime',
        '  build-args: {GREETING: hello, HTTP_PROXY: "http://proxy.invalid:3128"}',
      ].join('\n'),
      platforms: stage === 'platform' ? 'linux/amd64' : '',
      // Immutable tags only: moving tags are copies inside a registry, and there is none here.
      tags: 'type=sha',
      flavor: 'latest=false',
      // One image at a time, so the real run's order is the plan's.
      'max-parallel': '1',
    }
    const env = {
      SOURCE_DATE_EPOCH: '1700000000',
      PATH: `${SHIMS}:${process.env.PATH ?? ''}`,
      ...(levels ? {DOCKER_METADATA_ANNOTATIONS_LEVELS: levels} : {}),
    }
    const dry = await runAction({inputs: {...inputs, 'dry-run': 'true'}, env})
    expect(dry.errors).toEqual([])

    const log = join(
      process.env.RUNNER_TEMP as string,
      `argv-${builder}-${stage}${levels ? `-${levels}` : ''}.log`,
    )
    writeFileSync(log, '')
    const real = await runAction({inputs, env: {...env, ARGV_LOG: log}})
    expect(real.errors).toEqual([])
    expect(real.exitCode).toBe(0)

    const planned = dryRunCommands(dry)
    expect(planned.length).toBeGreaterThanOrEqual(3)
    // Build-arg values never reach argv, in either run.
    expect(planned.flat()).not.toContainEqual(expect.stringContaining('hello'))
    // The annotations reach the builders that can set them, in both runs alike.
    if (levels && builder !== 'docker')
      expect(planned.flat()).toContainEqual(
        expect.stringMatching(/^(manifest:)?org\.opencontainers\.image\.revision=/),
      )
    expect(recordedCommands(log, real)).toEqual(planned)
  },
)

test.each(['buildx', 'buildah', 'podman'])(
  '%s with build secrets: the same --secret words in the dry run and the real run, and no value',
  async (builder) => {
    const value = 'Argv-Secret-Value-7731'
    const file = join(process.env.RUNNER_TEMP as string, `argv-secret-${builder}.txt`)
    writeFileSync(file, 'argv-secret-file-content')
    const inputs = {
      registry: '127.0.0.1:5999',
      namespace: 'argv',
      username: 'tester',
      'auth-token': 'not-a-real-token',
      builder,
      images: '- todo-frontend: frontend',
      tags: 'type=sha',
      flavor: 'latest=false',
      secrets: `npm=${value}`,
      'secret-files': `file=${file}`,
      'secret-envs': 'feed=ARGV_FEED_TOKEN',
    }
    const env = {
      SOURCE_DATE_EPOCH: '1700000000',
      PATH: `${SHIMS}:${process.env.PATH ?? ''}`,
      ARGV_FEED_TOKEN: `${value}-env`,
    }
    const dry = await runAction({inputs: {...inputs, 'dry-run': 'true'}, env})
    expect(dry.errors).toEqual([])
    const log = join(process.env.RUNNER_TEMP as string, `argv-secrets-${builder}.log`)
    writeFileSync(log, '')
    const real = await runAction({inputs, env: {...env, ARGV_LOG: log}})
    expect(real.errors).toEqual([])

    const planned = dryRunCommands(dry)
    const build = planned.find((argv) => argv.includes('--secret')) ?? []
    const secretWords = build.filter((_, i) => build[i - 1] === '--secret')
    expect(secretWords).toEqual([
      'id=npm,src=$RUNNER_TEMP/ocir-push-docker-XXXXXX/secret-todo-frontend-default-npm',
      `id=file,src=${file}`,
      'id=feed,src=$RUNNER_TEMP/ocir-push-docker-XXXXXX/secret-todo-frontend-default-feed',
    ])
    expect(recordedCommands(log, real)).toEqual(planned)
    for (const run of [dry, real])
      expect(run.summary + run.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(value)
    expect(readFileSync(log, 'utf8')).not.toContain(value)
  },
)
