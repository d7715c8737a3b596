/**
 * The replication inputs, read and checked before anything happens: `replicate-to` (the targets)
 * and `replicate-auth` (credentials of registry hosts, every password masked the moment it is
 * read). Also read by a cleanup, which applies its rules in every target.
 */
import {parse as parseYaml} from 'yaml'
import {parseBoolean} from '../config/parse-values.js'
import {InputError} from '../errors.js'
import {
  parseReplicateAuth,
  parseReplicateTo,
  parseStandIns,
  type ReplicaCredentials,
  type ReplicaTarget,
} from '../plan/replication-targets.js'
import type {CoreConfig, StepInputs} from '../steps/release-step.js'

export interface ReplicationSettings {
  targets: ReplicaTarget[]
  /** Registry host → its login; a registry target without one is spoken to anonymously. */
  credentials: Record<string, ReplicaCredentials>
  /** `ensure-repositories`: region targets get their repositories ensured too. */
  ensureRepositories: boolean
  isPublic: boolean
  isImmutable: boolean
  /** What the inputs hold that is not used (credentials for a host that is no registry target). */
  warnings: string[]
}

/** The targets and their credentials; undefined when `replicate-to` is empty. */
export function readReplication(
  inputs: Pick<StepInputs, 'get' | 'raw' | 'env' | 'mask'>,
  config: Pick<CoreConfig, 'registry' | 'oci'>,
): ReplicationSettings | undefined {
  const authText = inputs.raw('replicate-auth')
  const parsed = parseAuthYaml(authText)
  // Masked before any check can throw, so no message or stack ever shows one.
  maskPasswords(parsed, inputs.mask)
  const targets = parseReplicateTo(inputs.raw('replicate-to'), {
    primary: config.registry,
    ociCredentials: Boolean(config.oci),
    standIns: parseStandIns(inputs.env.OCIR_PUSH_REGION_HOSTS),
  })
  if (targets.length === 0) {
    if (authText.trim())
      throw new InputError(
        'replicate-auth',
        '(not shown: it may hold passwords)',
        'replicate-auth gives credentials for replicate-to targets: list the targets in replicate-to, or remove replicate-auth',
        "input 'replicate-auth' is set, but replicate-to is empty",
      )
    return undefined
  }
  const {credentials, warnings} = parseReplicateAuth(parsed, targets)
  return {
    targets,
    credentials,
    ensureRepositories: parseBoolean(
      'ensure-repositories',
      inputs.get('ensure-repositories'),
      false,
    ),
    isPublic: parseBoolean('repository-public', inputs.get('repository-public'), false),
    isImmutable: parseBoolean('repository-immutable', inputs.get('repository-immutable'), false),
    warnings,
  }
}

function parseAuthYaml(text: string): unknown {
  if (!text.trim()) return undefined
  try {
    return parseYaml(text) as unknown
  } catch (err) {
    // The parser's message quotes the line, which may be a password: only its position is kept.
    const position = /line (\d+), column (\d+)/.exec(err instanceof Error ? err.message : '')
    throw new InputError(
      'replicate-auth',
      '(not shown: it may hold passwords)',
      'write a YAML mapping of registry hosts, each with username and password',
      `input 'replicate-auth' is not valid YAML${position ? ` (line ${position[1]}, column ${position[2]})` : ''}`,
    )
  }
}

/** Every password-like value of the mapping, masked before it is checked. */
function maskPasswords(parsed: unknown, mask: (secret: string) => void): void {
  if (!parsed || typeof parsed !== 'object') return
  for (const entry of Object.values(parsed as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object') continue
    const password = (entry as Record<string, unknown>).password
    if (typeof password === 'string' || typeof password === 'number')
      if (String(password)) mask(String(password))
  }
}
