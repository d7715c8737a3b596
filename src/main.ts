import * as core from '@actions/core'
import {readConfig} from './config/read-config.js'
import {secretEnvVariables} from './config/build-secrets.js'
import {withholdVariables} from './adapters/run-command.js'
import {connectAdapters, needsConnection, planBuilder} from './connect.js'
import {openKeylessSession} from './keyless-oci.js'
import {resolveIdentity} from './resolve-identity.js'
import {describeFailure, PushFailedError} from './errors.js'
import {runPipeline} from './pipeline.js'
import {planRun} from './plan/run-plan.js'
import {writeReport} from './report/write-report.js'
import {gatherRunFacts} from './run-facts.js'
import {markMainStarted} from './state.js'
import {RELEASE_STEPS} from './steps/index.js'

export async function main(): Promise<void> {
  markMainStarted()
  try {
    // The variables build secrets come from: no child process inherits them (withheld secrets too).
    withholdVariables(secretEnvVariables(core.getInput('secret-envs')))
    const read = readConfig(core.getInput, process.env, core.setSecret, RELEASE_STEPS)
    // Keyless OCI: GitHub's OIDC token exchanged for a session token before any OCI call.
    const config = await openKeylessSession(read, needsConnection(read))
    const identity = await resolveIdentity(config)
    const facts = await gatherRunFacts(config)
    const plan = planRun(config, facts, identity.namespace)
    for (const warning of plan.warnings) core.warning(warning)
    const connection = needsConnection(config)
      ? await connectAdapters(config, identity, plan, facts)
      : undefined
    const result = await runPipeline(
      config,
      {namespace: identity.namespace, username: connection?.username ?? identity.username},
      plan,
      connection?.adapters,
      connection ? undefined : await planBuilder(config, plan),
      facts,
    )
    await writeReport(result)
    if (result.failures.length > 0) throw new PushFailedError(result.failures)
  } catch (err) {
    core.setFailed(describeFailure(err))
  }
}
