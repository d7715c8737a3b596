import * as core from '@actions/core'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'
import {createPrivateDockerConfig, publishLogin} from './adapters/docker-config.js'
import {DockerEngine} from './adapters/docker-engine.js'
import {RegistryHttpClient} from './adapters/registry-http.js'
import {readConfig} from './config/read-config.js'
import {describeFailure, LoginRefusedError, PushFailedError} from './errors.js'
import {registryHint} from './plan/login-hint.js'
import {runPipeline, tagContextOf, type Adapters} from './pipeline.js'
import {writeReport} from './report/write-report.js'
import {gatherRunFacts} from './run-facts.js'
import {markMainStarted, saveCleanupState} from './state.js'
import type {ActionConfig} from './config/action-config.js'

export async function main(): Promise<void> {
  markMainStarted()
  try {
    const config = readConfig(core.getInput, process.env, core.setSecret)
    const facts = await gatherRunFacts(config)
    const tagContext = tagContextOf(config, facts, {
      prHeadSha: process.env.DOCKER_METADATA_PR_HEAD_SHA !== 'false',
    })
    const adapters = config.dryRun ? undefined : await connectAdapters(config)
    const result = await runPipeline(config, adapters, tagContext, facts.repository)
    await writeReport(result)
    if (result.failures.length > 0) throw new PushFailedError(result.failures)
  } catch (err) {
    core.setFailed(describeFailure(err))
  }
}

async function connectAdapters(config: ActionConfig): Promise<Adapters> {
  const runnerTemp = process.env.RUNNER_TEMP || tmpdir()
  const userConfigDir = process.env.DOCKER_CONFIG || join(homedir(), '.docker')
  const dockerConfigDir = createPrivateDockerConfig(runnerTemp, userConfigDir, config.registry.host)
  // Saved before the login, so the post step cleans up even when the login fails halfway.
  saveCleanupState({dockerConfigDir, host: config.registry.host, logout: config.logout})
  const engine = new DockerEngine(dockerConfigDir, config.github.workspace)
  const registry = new RegistryHttpClient({
    host: config.registry.host,
    insecure: config.registry.insecure,
    username: config.username || undefined,
    password: config.authToken || undefined,
    retries: config.retries,
    onSecret: core.setSecret,
  })
  if (config.username && config.authToken && config.push) {
    core.setSecret(Buffer.from(`${config.username}:${config.authToken}`).toString('base64'))
    try {
      await engine.login(config.registry.host, config.username, config.authToken)
    } catch (err) {
      throw new LoginRefusedError(
        config.registry.host,
        config.username,
        describeFailure(err),
        registryHint(describeFailure(err), config.registry, config.username),
      )
    }
    core.info(`Logged in to ${config.registry.host} as ${config.username}`)
    if (!config.logout) publishLogin(dockerConfigDir, userConfigDir, config.registry.host)
  }
  return {engine, registry}
}
