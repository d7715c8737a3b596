/**
 * One blob onto one target repository, the cheapest way there is: put into another repository of
 * the same target earlier in this run → mounted from there; already there (HEAD) → skipped;
 * otherwise streamed from the source in chunks. A blob asked for by several copies at once (a base
 * layer shared by four images) goes up once: the others wait for the first, then mount or skip.
 * A blob smaller than one chunk that goes to several targets at once is read from the source once:
 * the targets' uploads share its bytes (at most one chunk's worth per blob in flight).
 */
import type {Readable} from 'node:stream'
import type {RetrySession} from '../adapters/retry.js'
import type {BlobTransferClient, LogSink, RegistryClient, ReplayableBytes} from '../ports.js'
import {CopyError, copyFailure} from './copy-error.js'

/** One registry of a copy, logged in. */
export interface ReplicaEndpoint {
  /** For messages, e.g. `fra` or `registry.example.com`. */
  name: string
  registry: RegistryClient & BlobTransferClient
}

/** A blob as a manifest names it. */
export interface BlobDescriptor {
  digest: string
  size: number
  mediaType?: string
}

export interface BlobJob {
  source: ReplicaEndpoint
  sourceRepository: string
  target: ReplicaEndpoint
  targetRepository: string
  blob: BlobDescriptor
  /** `layer`, `config`…, for the log and errors. */
  kind: string
}

export type BlobOutcome = {how: 'skipped' | 'mounted'} | {how: 'uploaded'; bytes: number}

/**
 * At most `limit` units held by the tasks under way: bytes of memory for the uploads, or one per
 * task to bound how many run at once. A task larger than the limit runs alone. The others wait
 * their turn, first come first served: each release lets in as many of the first waiters as fit.
 */
export class Budget {
  private held = 0
  private running = 0
  private readonly queue: {cost: number; go: () => void}[] = []

  constructor(private readonly limit: number) {}

  async run<T>(cost: number, work: () => Promise<T>): Promise<T> {
    if (this.queue.length === 0 && this.fits(cost)) this.take(cost)
    // Taken for it by admit() when its turn comes.
    else await new Promise<void>((go) => this.queue.push({cost, go}))
    try {
      return await work()
    } finally {
      this.held -= cost
      this.running--
      this.admit()
    }
  }

  private fits(cost: number): boolean {
    return this.running === 0 || this.held + cost <= this.limit
  }

  private take(cost: number): void {
    this.held += cost
    this.running++
  }

  private admit(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0].cost)) {
      const next = this.queue.shift() as {cost: number; go: () => void}
      this.take(next.cost)
      next.go()
    }
  }
}

export class BlobTransfer {
  /**
   * Per target registry: digest → a repository of it known to hold the blob (a mount source), and
   * whether this run uploaded it there (the target lacked it).
   */
  private readonly placed = new Map<object, Map<string, {repository: string; uploaded: boolean}>>()
  /** Per target registry: digest → the transfer of it under way. */
  private readonly running = new Map<object, Map<string, Promise<BlobOutcome>>>()
  /** digest → its bytes, read once from the source for the uploads of it under way. */
  private readonly shared = new Map<string, {uploads: number; bytes?: ArrivingBlob}>()

  constructor(
    private readonly options: {
      /** Blob placements (HEAD, mount, upload) under way at once, one unit each. */
      limit: Budget
      /** Bytes the uploads under way may hold in memory. */
      memory: Budget
      chunkBytes: number
      retry: RetrySession
      log: LogSink
    },
  ) {}

  /** Places the blob in the target repository; errors name the target, the blob and the repository. */
  async transfer(job: BlobJob): Promise<BlobOutcome> {
    const running = entry(this.running, job.target.registry)
    const digest = job.blob.digest
    // Whoever came first finishes first; then this one finds the blob there, or mounts it.
    for (let first = running.get(digest); first; first = running.get(digest))
      await first.catch(() => undefined)
    const work = this.options.limit.run(1, () =>
      this.options.retry
        .run(`copy ${job.kind} ${digest} to ${job.target.name}`, () => this.place(job))
        .catch((err: unknown) => {
          throw copyFailure(job.target.name, `${job.kind} ${digest}`, job.targetRepository, err)
        }),
    )
    running.set(digest, work)
    try {
      return await work
    } finally {
      if (running.get(digest) === work) running.delete(digest)
    }
  }

  private async place(job: BlobJob): Promise<BlobOutcome> {
    const {target, targetRepository: repository, blob} = job
    const placed = entry(this.placed, target.registry)
    const where = `${target.name}/${repository}`
    const known = placed.get(blob.digest)
    const from = known && known.repository !== repository ? known.repository : undefined
    // A blob this run uploaded to the target is new there: it is mounted from where it went
    // without asking first (HEAD) whether this repository holds it.
    const mountFirst = from !== undefined && known?.uploaded === true
    if (mountFirst && (await this.mount(job, from))) return {how: 'mounted'}
    if (await target.registry.hasBlob(repository, blob.digest)) {
      if (!placed.has(blob.digest)) placed.set(blob.digest, {repository, uploaded: false})
      return {how: 'skipped'}
    }
    if (from !== undefined && !mountFirst && (await this.mount(job, from))) return {how: 'mounted'}
    const started = Date.now()
    const {chunkBytes} = this.options
    const share = blob.size < chunkBytes ? this.share(blob.digest) : undefined
    try {
      await this.options.memory.run(Math.min(blob.size, chunkBytes), async () =>
        target.registry.uploadBlob(
          repository,
          blob.digest,
          blob.size,
          share
            ? (share.bytes ??= new ArrivingBlob(blob.size, () => this.openSource(job, 0)))
            : (offset) => this.openSource(job, offset),
          chunkBytes,
        ),
      )
    } finally {
      if (share && --share.uploads === 0) this.shared.delete(blob.digest)
    }
    placed.set(blob.digest, {repository, uploaded: true})
    this.options.log(
      `${where}: ${job.kind} ${blob.digest} uploaded (${(blob.size / 1024 / 1024).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    )
    return {how: 'uploaded', bytes: blob.size}
  }

  /** Mounts the blob from another repository of the target; false when the target did not. */
  private async mount(job: BlobJob, from: string): Promise<boolean> {
    const {target, targetRepository: repository, blob} = job
    const where = `${target.name}/${repository}`
    const mounted = await target.registry.mountBlob(repository, blob.digest, from)
    this.options.log(
      mounted
        ? `${where}: ${job.kind} ${blob.digest} mounted from ${from}`
        : `${where}: ${job.kind} ${blob.digest}: ${target.name} did not mount it from ${from}`,
    )
    return mounted
  }

  /** This upload's claim on the blob's shared bytes; the last upload to finish drops them. */
  private share(digest: string): {uploads: number; bytes?: ArrivingBlob} {
    let share = this.shared.get(digest)
    if (!share) this.shared.set(digest, (share = {uploads: 0}))
    share.uploads++
    return share
  }

  private async openSource(job: BlobJob, offset: number): Promise<Readable> {
    const stream = await job.source.registry.openBlob(job.sourceRepository, job.blob.digest, offset)
    if (stream) return stream
    throw new CopyError(
      `copy to ${job.target.name}: ${job.kind} ${job.blob.digest} of ${job.targetRepository}: the source ${job.source.name} has no such blob in ${job.sourceRepository}`,
    )
  }
}

function entry<V>(maps: Map<object, Map<string, V>>, key: object): Map<string, V> {
  let map = maps.get(key)
  if (!map) maps.set(key, (map = new Map<string, V>()))
  return map
}

/** One read of a blob from the source: its bytes so far, and how it ended. */
interface Pass {
  /** The pieces as they came from the source: kept, not copied into one Buffer. */
  pieces: Buffer[]
  filled: number
  complete: boolean
  failure?: unknown
  /** Readers waiting for more bytes. */
  waiting: (() => void)[]
}

/**
 * A blob under one chunk, read once from the source into memory for every target it goes to, and
 * handed to each target's upload as its bytes arrive: the uploads run while the read does. A
 * read that failed (a transient fault, or bytes that are not the digest: openBlob checks them)
 * is not kept: the next upload attempt starts a fresh one.
 */
export class ArrivingBlob implements ReplayableBytes {
  private pass: Pass

  constructor(
    readonly size: number,
    private readonly open: () => Promise<Readable>,
  ) {
    this.pass = this.start()
  }

  private start(): Pass {
    const pass: Pass = {pieces: [], filled: 0, complete: false, waiting: []}
    void this.fill(pass)
    return pass
  }

  private async fill(pass: Pass): Promise<void> {
    try {
      for await (const chunk of await this.open()) {
        const piece = chunk as Buffer
        if (pass.filled + piece.length > this.size)
          throw new CopyError(`the source sent more than the blob's ${this.size} bytes`)
        pass.pieces.push(piece)
        pass.filled += piece.length
        for (const go of pass.waiting.splice(0)) go()
      }
      if (pass.filled !== this.size)
        throw new CopyError(`the source sent ${pass.filled} bytes, not the blob's ${this.size}`)
      pass.complete = true
    } catch (err) {
      pass.failure = err
    } finally {
      for (const go of pass.waiting.splice(0)) go()
    }
  }

  async *read(): AsyncGenerator<Buffer> {
    if (this.pass.failure !== undefined) this.pass = this.start()
    const pass = this.pass
    let next = 0
    for (;;) {
      if (next < pass.pieces.length) {
        yield pass.pieces[next++]
      } else if (pass.failure !== undefined) {
        throw pass.failure
      } else if (pass.complete) {
        return
      } else {
        await new Promise<void>((go) => pass.waiting.push(go))
      }
    }
  }
}
