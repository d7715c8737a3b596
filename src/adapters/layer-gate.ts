/**
 * One upload per shared layer when images that share layers (a base) are pushed side by side.
 *
 * Two `docker push`es started together each upload a layer their images share: the engine
 * checks the target repository, finds nothing and uploads, twice. Pushed one after the other,
 * the second push mounts the layer from the first repository instead (the engine remembers where
 * it pushed it). The gate gives each layer of a registry to the first push that needs it; a later
 * push that needs it too waits until that push reports the layer in the registry (or ends, either
 * way), then runs and mounts it. Claims are taken in one synchronous step, so a push only ever
 * waits on pushes that entered before it: no cycle, no deadlock.
 */
export class LayerGate {
  private readonly layers = new Map<string, Promise<void>>()

  /**
   * Claims the layers (diff IDs) of one push to `host`. Returns what to wait for before pushing,
   * and this push's own claims: `done(shortId)` when the push reports a layer, `finish()` when it
   * ends (every claim left is released then).
   */
  enter(
    host: string,
    diffIds: readonly string[],
  ): {ready: Promise<void>; done(shortId: string): void; finish(): void} {
    const waits: Promise<void>[] = []
    const mine = new Map<string, () => void>()
    for (const diffId of new Set(diffIds)) {
      const key = `${host} ${diffId}`
      const claimed = this.layers.get(key)
      if (claimed) {
        waits.push(claimed)
        continue
      }
      let release = (): void => {}
      this.layers.set(key, new Promise<void>((resolve) => (release = resolve)))
      mine.set(shortLayerId(diffId), release)
    }
    return {
      ready: Promise.all(waits).then(() => undefined),
      done(shortId) {
        mine.get(shortId)?.()
      },
      finish() {
        for (const release of mine.values()) release()
      },
    }
  }
}

/** The 12 hex digits docker push shows for a layer: its diff ID without `sha256:`. */
export function shortLayerId(diffId: string): string {
  return diffId.replace(/^sha256:/, '').slice(0, 12)
}

/** The layer a `docker push` progress line says is in the registry, if it says so. */
export function layerInRegistry(line: string): string | undefined {
  return /^([0-9a-f]{12}): (?:Pushed|Layer already exists|Mounted from \S+)\s*$/.exec(
    line.trim(),
  )?.[1]
}
