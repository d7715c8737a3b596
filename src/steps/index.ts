/**
 * Every release step, in the order the release order calls them within each phase. The order is
 * the point: a step whose output another signs or copies comes before it (attestations before
 * signing, so they get signed; replication after signing, so it copies the signatures).
 */
import {attestationsStep} from '../attestations/step.js'
import {cleanupStep} from '../cleanup/step.js'
import {pullSecretStep} from '../pull-secret/step.js'
import {replicationStep} from '../replication/step.js'
import {repositoriesStep} from '../repositories/step.js'
import {signingStep} from '../signing/step.js'
import type {ReleaseStep} from './release-step.js'

export const RELEASE_STEPS: readonly ReleaseStep[] = [
  // After the login: the cluster's copy of it.
  pullSecretStep,
  // Before anything is built: where the images go.
  repositoriesStep,
  // After publish, before signing and any moving tag: every pushed digest attested.
  attestationsStep,
  // After publish, before any moving tag: every pushed digest signed.
  signingStep,
  // After signing, before any moving tag: the release (and its signatures) in every target; the
  // replicas' moving tags after the run's own.
  replicationStep,
  // A stage of its own, instead of the release.
  cleanupStep,
]
