import * as core from '@actions/core'
import {readConfig} from './config/read-config.js'
import {connectAdapters, needsConnection, planBuilder} from './connect.js'
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
    const config = readConfig(core.getInput, process.env, core.setSecret, RELEASE_STEPS)
    const identity = await resolveIdentity(config)
    const facts = await gatherRunFacts(config)
    const plan = planRun(config, facts, identity.namespace)
    for (const warning of plan.warnings) core.warning(warning)
    const connection = needsConnection(config)
      ? await connectAdapters(config, identity, plan)
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
