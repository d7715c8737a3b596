import {describe, expect, test} from 'vitest'
import {LayerGate, layerInRegistry, shortLayerId} from '../../src/adapters/layer-gate.js'

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`
const C = `sha256:${'c'.repeat(64)}`

/** Whether a promise has settled after the microtasks queued so far. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(() => (done = true))
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

describe('LayerGate', () => {
  test('the first push of a shared layer goes at once; the second waits until the layer is reported in the registry', async () => {
    const gate = new LayerGate()
    const first = gate.enter('reg', [A, B])
    const second = gate.enter('reg', [A, C])
    expect(await settled(first.ready)).toBe(true)
    expect(await settled(second.ready)).toBe(false)
    first.done(shortLayerId(B))
    expect(await settled(second.ready)).toBe(false)
    first.done(shortLayerId(A))
    expect(await settled(second.ready)).toBe(true)
  })

  test('a push that ends (even failing) releases what it claimed', async () => {
    const gate = new LayerGate()
    const first = gate.enter('reg', [A])
    const second = gate.enter('reg', [A])
    first.finish()
    expect(await settled(second.ready)).toBe(true)
    // The waiting push claimed nothing: releasing it changes nothing, a third push is free.
    second.finish()
    expect(await settled(gate.enter('reg', [A]).ready)).toBe(true)
  })

  test('layers of different registries are not shared, and nothing is waited on without a shared layer', async () => {
    const gate = new LayerGate()
    gate.enter('one', [A])
    expect(await settled(gate.enter('two', [A]).ready)).toBe(true)
    expect(await settled(gate.enter('one', [B, C]).ready)).toBe(true)
  })

  test('a push only waits on pushes that entered before it: no cycle', async () => {
    const gate = new LayerGate()
    const first = gate.enter('reg', [A])
    const second = gate.enter('reg', [B, A])
    const third = gate.enter('reg', [B])
    expect(await settled(first.ready)).toBe(true)
    expect(await settled(third.ready)).toBe(false)
    second.done(shortLayerId(B))
    expect(await settled(third.ready)).toBe(true)
    expect(await settled(second.ready)).toBe(false)
    first.finish()
    expect(await settled(second.ready)).toBe(true)
  })
})

describe('layerInRegistry', () => {
  test.each([
    ['9c422776e1b3: Pushed', '9c422776e1b3'],
    ['9c422776e1b3: Layer already exists', '9c422776e1b3'],
    ['9c422776e1b3: Mounted from acme/todo-backend', '9c422776e1b3'],
    ['9c422776e1b3: Pushing [=====>    ]  12.3MB/24MB', undefined],
    ['9c422776e1b3: Waiting', undefined],
    ['9c422776e1b3: Preparing', undefined],
    ['sha-0123456: digest: sha256:53652808 size: 740', undefined],
    ['The push refers to repository [127.0.0.1:5000/acme/app]', undefined],
  ])('%s', (line, layer) => {
    expect(layerInRegistry(line)).toBe(layer)
  })
})
