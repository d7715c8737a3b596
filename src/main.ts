import * as core from '@actions/core'
import {readConfig} from './config/read-config.js'
import {connectAdapters, resolveIdentity} from './connect.js'
import {describeFailure, PushFailedError} from './errors.js'
import {planRun, runPipeline, tagContextOf} from './pipeline.js'
import {writeReport} from './report/write-report.js'
import {gatherRunFacts} from './run-facts.js'
import {markMainStarted} from './state.js'

export async function main(): Promise<void> {
  markMainStarted()
  try {
    const config = await resolveIdentity(readConfig(core.getInput, process.env, core.setSecret))
    const facts = await gatherRunFacts(config)
    const tagContext = tagContextOf(config, facts, {
      prHeadSha: process.env.DOCKER_METADATA_PR_HEAD_SHA !== 'false',
    })
    const plan = planRun(config, tagContext, facts.repository)
    const connection = config.dryRun ? undefined : await connectAdapters(config)
    const result = await runPipeline(
      {...config, username: connection?.username ?? config.username},
      connection?.adapters,
      plan,
    )
    await writeReport(result)
    if (result.failures.length > 0) throw new PushFailedError(result.failures)
  } catch (err) {
    core.setFailed(describeFailure(err))
  }
}
