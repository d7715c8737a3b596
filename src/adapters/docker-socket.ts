import {readFileSync} from 'node:fs'
import {request} from 'node:http'
import {join} from 'node:path'

/**
 * Read-only questions to the Docker engine's API over its unix socket, where the docker CLI
 * would ask the same engine there: a look-up then costs a few milliseconds instead of starting a
 * CLI process (about 100 ms of CPU each, on the path from a build to its push). Anything else (a
 * DOCKER_HOST over TCP or SSH, a docker context, a socket that does not answer) is left to the
 * CLI: callers fall back to it whenever this gives undefined or fails.
 */

/** The socket the docker CLI would talk to with this environment and config dir, if it is one. */
export function engineSocketOf(
  env: Record<string, string | undefined>,
  configDir: string,
): string | undefined {
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return undefined
  const host = env.DOCKER_HOST
  if (host) return host.startsWith('unix://') && host.length > 7 ? host.slice(7) : undefined
  try {
    const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as {
      currentContext?: unknown
    }
    if (config.currentContext && config.currentContext !== 'default') return undefined
  } catch {
    // No config, or not JSON: the CLI would use its default context too.
  }
  return '/var/run/docker.sock'
}

/** Largest answer read (an image's inspect output is a few KiB). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024

/** GET `path` on the engine's API; its JSON answer. Rejects on anything but a 200 with JSON. */
export function engineGet(socket: string, path: string, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const call = request(
      {socketPath: socket, path, method: 'GET', timeout: timeoutMs},
      (answer) => {
        const parts: Buffer[] = []
        let size = 0
        answer.on('data', (part: Buffer) => {
          size += part.length
          if (size > MAX_ANSWER_BYTES)
            call.destroy(new Error(`GET ${path}: answer over ${MAX_ANSWER_BYTES} bytes`))
          else parts.push(part)
        })
        answer.on('error', reject)
        answer.on('end', () => {
          if (answer.statusCode !== 200)
            return reject(new Error(`GET ${path}: HTTP ${answer.statusCode ?? '?'}`))
          try {
            resolve(JSON.parse(Buffer.concat(parts).toString('utf8')))
          } catch {
            reject(new Error(`GET ${path}: the answer is not JSON`))
          }
        })
      },
    )
    call.on('timeout', () => call.destroy(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)))
    call.on('error', reject)
    call.end()
  })
}

/** The API path of an image's inspect output: its name as is, with the characters a path may not hold escaped. */
export function imageInspectPath(ref: string): string {
  return `/images/${encodeURIComponent(ref).replace(/%2F/gi, '/').replace(/%3A/gi, ':')}/json`
}
