/** Every failure we expect carries what failed, the value involved and what to do next. */
export class ActionError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** A bad action input (or a bad field of one image), found before anything changed. */
export class InputError extends ActionError {
  constructor(
    readonly input: string,
    readonly value: string,
    hint: string,
    what = `input '${input}' has an unusable value '${truncate(value)}'`,
  ) {
    super(what, hint)
  }
}

/** An external command (docker, buildah, …) exited non-zero. */
export class CommandError extends ActionError {
  constructor(
    readonly tool: string,
    readonly subcommand: string,
    readonly exitCode: number,
    readonly lastLine: string,
    hint?: string,
  ) {
    super(`${tool} ${subcommand} failed (exit code ${exitCode}): ${lastLine || 'no output'}`, hint)
  }
}

/**
 * How a failure should be met: another attempt (transient), a fresh look at the credentials, at the
 * address (unreachable), or nothing at all (permanent).
 */
export type FailureKind = 'transient' | 'credentials' | 'unreachable' | 'permanent'

/** The registry refused or failed a request of the /v2/ API. */
export class RegistryError extends ActionError {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    hint?: string,
    /** How long the registry asked us to wait (Retry-After), when it did. */
    readonly retryAfterMs?: number,
  ) {
    super(message, hint)
  }
}

/** A failure known to be passing, whatever its text says (e.g. a login refusal we disproved). */
export class TransientError extends ActionError {}

/** An OCI API call failed; keeps what a support request needs. */
export class OciRequestError extends ActionError {
  constructor(
    readonly operation: string,
    readonly statusCode: number | undefined,
    readonly serviceCode: string | undefined,
    readonly opcRequestId: string | undefined,
    detail: string,
    hint?: string,
    /** How long OCI asked us to wait (Retry-After), when it did. */
    readonly retryAfterMs?: number,
  ) {
    super(
      `OCI ${operation} failed: ${detail} (status ${statusCode ?? 'none'}, code ${serviceCode ?? 'none'}, opc-request-id ${opcRequestId ?? 'none'})`,
      hint,
    )
  }
}

/** A registry that refuses deletes altogether: every further delete would be refused too. */
export class DeleteRefusedError extends ActionError {}

/** The registry refused our login, or kept failing it; nothing was built or pushed. */
export class LoginRefusedError extends ActionError {
  constructor(
    host: string,
    username: string,
    detail: string,
    hint: string,
    readonly kind: FailureKind = 'credentials',
  ) {
    super(
      `the login to ${host} as '${username}' ${kind === 'credentials' ? 'was refused' : 'failed'} (${detail}); nothing was pushed`,
      hint,
    )
  }
}

/** One or more images failed; the report has already been written. */
export class PushFailedError extends ActionError {
  constructor(readonly failures: readonly {image: string; message: string; nextStep?: string}[]) {
    super(
      failures.length === 1
        ? `image '${failures[0].image}' failed: ${failures[0].message}`
        : `${failures.length} images failed: ${failures.map((f) => `'${f.image}': ${f.message}`).join('; ')}`,
      failures.find((failure) => failure.nextStep)?.nextStep ??
        'No moving tag (latest, branch, major/minor) of any image was changed. Fix the cause and re-run.',
    )
  }
}

export function describeFailure(err: unknown): string {
  if (err instanceof ActionError) return err.hint ? `${err.message}. ${err.hint}` : err.message
  if (err instanceof Error) return err.message
  return `unexpected failure: ${String(err)}`
}

function truncate(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value
}
