import {expect, test} from 'vitest'
import {Budget} from '../../src/replication/blob-transfer.js'

/** Runs tasks of these sizes through one budget; each holds its bytes until released by hand. */
function harness(budget: number) {
  const limit = new Budget(budget)
  const running = new Map<string, () => void>()
  let held = 0
  let most = 0
  const start = (name: string, bytes: number): Promise<void> =>
    limit.run(bytes, async () => {
      held += bytes
      most = Math.max(most, held)
      await new Promise<void>((release) => running.set(name, release))
      running.delete(name)
      held -= bytes
    })
  const settle = () => new Promise((resolve) => setImmediate(resolve))
  return {start, running, settle, most: () => most}
}

test('small uploads run side by side within the budget; one that does not fit waits its turn', async () => {
  const {start, running, settle, most} = harness(100)
  const all = [start('a', 10), start('b', 10), start('c', 60), start('d', 30), start('e', 5)]
  await settle()
  // a + b + c = 80: d (30) does not fit, and e, behind it, waits too (first come, first served).
  expect([...running.keys()]).toEqual(['a', 'b', 'c'])
  running.get('c')?.()
  await settle()
  expect([...running.keys()].sort()).toEqual(['a', 'b', 'd', 'e'])
  for (const release of running.values()) release()
  await settle()
  for (const release of running.values()) release()
  await Promise.all(all)
  expect(most()).toBeLessThanOrEqual(100)
})

test('a blob larger than the whole budget still goes, alone', async () => {
  const {start, running, settle} = harness(32)
  const big = start('big', 1000)
  const small = start('small', 1)
  await settle()
  expect([...running.keys()]).toEqual(['big'])
  running.get('big')?.()
  await settle()
  expect([...running.keys()]).toEqual(['small'])
  running.get('small')?.()
  await Promise.all([big, small])
})

test('a task that fails gives its bytes back', async () => {
  const limit = new Budget(10)
  await expect(limit.run(10, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused')
  await expect(limit.run(10, () => Promise.resolve('next'))).resolves.toBe('next')
})
