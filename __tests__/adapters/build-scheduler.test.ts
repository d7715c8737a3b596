import {mkdtempSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {BuildScheduler} from '../../src/adapters/build-scheduler.js'

const workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'sched-'))
writeFileSync(join(workspace, 'a.Dockerfile'), 'FROM alpine\nRUN apk add curl\n')
writeFileSync(join(workspace, 'b.Dockerfile'), 'FROM alpine\nRUN apk add curl\nCOPY b /b\n')
writeFileSync(join(workspace, 'c.Dockerfile'), 'FROM scratch\nCOPY c /c\n')

/** Runs the builds as the pipeline would (all asked for at once) and records their overlap. */
async function schedule(files: string[]): Promise<string[]> {
  const scheduler = new BuildScheduler(workspace)
  const events: string[] = []
  await Promise.all(
    files.map((file) =>
      scheduler.run(file, async () => {
        events.push(`start ${file}`)
        await new Promise((resolve) => setTimeout(resolve, 30))
        events.push(`end ${file}`)
      }),
    ),
  )
  return events
}

test.each([
  {
    why: 'builds that share a first step run one after another, in the order asked',
    files: ['a.Dockerfile', 'b.Dockerfile'],
    want: ['start a.Dockerfile', 'end a.Dockerfile', 'start b.Dockerfile', 'end b.Dockerfile'],
  },
  {
    why: 'builds with nothing in common run side by side',
    files: ['a.Dockerfile', 'c.Dockerfile'],
    want: ['start a.Dockerfile', 'start c.Dockerfile', 'end a.Dockerfile', 'end c.Dockerfile'],
  },
])('$why', async ({files, want}) => {
  expect(await schedule(files)).toEqual(want)
})

test('a failed build does not hold up the next one that shares its step', async () => {
  const scheduler = new BuildScheduler(workspace)
  const first = scheduler.run('a.Dockerfile', () => Promise.reject(new Error('broken')))
  const second = scheduler.run('b.Dockerfile', async () => 'built')
  await expect(first).rejects.toThrow('broken')
  await expect(second).resolves.toBe('built')
})
