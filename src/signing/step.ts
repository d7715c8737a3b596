/**
 * Signing: every digest a release puts in the registry is signed (cosign key, OCI Vault key, or
 * both) after it is published and before any moving tag names it.
 */
import type {ImagePlan} from '../plan/push-plan.js'
import {code, escapeHtml} from '../report/html.js'
import {defineStep, type CoreConfig} from '../steps/release-step.js'
import {connectSigners} from './connect-signers.js'
import {signingOf, type SigningConfig} from './sign-key.js'
import {signOutcome, type Signatures} from './sign-outcome.js'

export const signingStep = defineStep<SigningConfig>({
  name: 'signing',
  // Keys and passwords are checked (and masked) now, before anything is built or pushed.
  read: (inputs, config) => signingOf(inputs, Boolean(config.oci)),
  planLines: (settings, {config, plan}) =>
    config.push ? {afterPublish: signingLines(settings, config, plan.plans)} : {},
  async connect(settings, {config, namespace, registry}) {
    // Platform legs are signed by the merge that releases them.
    if (!config.push || config.stage === 'platform') return {}
    const signers = await connectSigners(settings, config, namespace, registry)
    const sign = signOutcome(signers, registry)
    const signed = new Map<string, Signatures>()
    return {
      // An earlier release stands in for a build only if this run's keys signed it: a forged
      // key label on an image nobody signed gets it rebuilt, not relabelled and signed.
      async vouchForReuse(image) {
        for (const signer of signers)
          if (!(await signer.signed(image)))
            return `it carries no ${signer.kind} signature by the configured key`
        return undefined
      },
      afterPublish: async (plan, outcome, log) => {
        signed.set(plan.image.name, await sign(plan, outcome, log))
      },
      report: () => ({
        outputs: {signatures: JSON.stringify(Object.fromEntries(signed))},
        column:
          signed.size > 0
            ? {
                header: 'signatures',
                cells: Object.fromEntries(
                  [...signed].map(([image, signatures]) => [image, signaturesCell(signatures)]),
                ),
              }
            : undefined,
      }),
    }
  },
  idleReport: () => ({outputs: {signatures: '{}'}}),
})

/** What a real run would sign, before any moving tag moves: a comment line per digest. */
function signingLines(
  signing: SigningConfig,
  config: CoreConfig,
  plans: readonly ImagePlan[],
): string[] {
  const how = [
    signing.cosign ? 'cosign key (signature at <image>:sha256-<hex>.sig)' : '',
    signing.kms
      ? `OCI Vault key ${signing.kms.keyVersionId} (${signing.kms.algorithm}, OCIR image signature)`
      : '',
  ]
    .filter(Boolean)
    .join(' and ')
  const lines: string[] = []
  for (const image of plans) {
    const index = config.stage === 'merge' || image.image.platforms.length > 1
    lines.push(`# sign ${image.imageName}@<pushed digest> with the ${how}`)
    if (index)
      for (const platform of image.image.platforms)
        lines.push(`# sign ${image.imageName}@<${platform} manifest digest> with the ${how}`)
  }
  return lines
}

/** Each signed digest (shortened) and where its signatures went. */
function signaturesCell(signatures: Signatures): string {
  return Object.entries(signatures)
    .map(
      ([digest, places]) =>
        `${code(`${digest.slice(0, 19)}…`)}: ${places.map((place) => escapeHtml(place)).join(', ')}`,
    )
    .join('<br>')
}
