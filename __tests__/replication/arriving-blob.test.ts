import {PassThrough, Readable} from 'node:stream'
import {expect, test} from 'vitest'
import {ArrivingBlob} from '../../src/replication/blob-transfer.js'

async function collect(bytes: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of bytes) parts.push(part)
  return Buffer.concat(parts)
}

test('readers get the bytes as they arrive, before the source has ended; the source is opened once', async () => {
  const source = new PassThrough()
  let opened = 0
  const blob = new ArrivingBlob(6, async () => {
    opened++
    return source
  })
  const early = blob.read()[Symbol.asyncIterator]()
  source.write(Buffer.from('abc'))
  // The first three bytes reach the reader while the source is still open.
  expect((await early.next()).value?.toString()).toBe('abc')
  const late = collect(blob.read())
  source.end(Buffer.from('def'))
  expect((await early.next()).value?.toString()).toBe('def')
  expect((await early.next()).done).toBe(true)
  expect((await late).toString()).toBe('abcdef')
  expect(opened).toBe(1)
})

test.each([
  {why: 'more bytes than the blob', sent: 'abcdefg', message: /more than the blob's 6 bytes/},
  {why: 'fewer bytes than the blob', sent: 'abc', message: /sent 3 bytes, not the blob's 6/},
])('a source that sends $why fails every reader', async ({sent, message}) => {
  const blob = new ArrivingBlob(6, async () => Readable.from([Buffer.from(sent)]))
  await expect(collect(blob.read())).rejects.toThrow(message)
})

test('a failed read is not kept: the next reader starts a fresh one', async () => {
  let opened = 0
  const blob = new ArrivingBlob(3, async () => {
    opened++
    if (opened === 1) {
      const broken = new PassThrough()
      broken.write(Buffer.from('a'))
      setImmediate(() => broken.destroy(new Error('connection reset')))
      return broken
    }
    return Readable.from([Buffer.from('abc')])
  })
  await expect(collect(blob.read())).rejects.toThrow('connection reset')
  expect((await collect(blob.read())).toString()).toBe('abc')
  expect(opened).toBe(2)
})
