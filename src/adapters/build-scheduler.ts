import {resolve} from 'node:path'
import {MAX_DOCKERFILE_BYTES, readCheckoutFile} from '../config/checkout-files.js'
import {dockerfileCacheKeys} from '../plan/dockerfile-cache-keys.js'

/**
 * Runs builds side by side unless they could share a layer-cache entry (see
 * dockerfileCacheKeys): those run one after another, in the order they were asked for, so the
 * first image of the plan always creates the shared layers and digests do not depend on timing.
 */
export class BuildScheduler {
  private readonly tails = new Map<string, Promise<unknown>>()

  constructor(private readonly workspace: string) {}

  run<T>(dockerfile: string, work: () => Promise<T>): Promise<T> {
    const keys = this.keysOf(dockerfile)
    const started = Promise.all(keys.map((key) => this.tails.get(key))).then(work)
    const settled = started.catch(() => undefined)
    for (const key of keys) this.tails.set(key, settled)
    return started
  }

  private keysOf(dockerfile: string): string[] {
    const path = resolve(this.workspace, dockerfile)
    try {
      const text = readCheckoutFile(path, {what: 'Dockerfile', maxBytes: MAX_DOCKERFILE_BYTES})
      return [...new Set(dockerfileCacheKeys(text))]
    } catch {
      // Unreadable here: the builder will say why; keep it apart from nothing in particular.
      return [`unreadable:${path}`]
    }
  }
}
