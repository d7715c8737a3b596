import * as core from '@actions/core'
import {removePrivateDockerConfig} from './adapters/docker-config.js'
import {describeFailure} from './errors.js'
import {loadCleanupState} from './state.js'

/** Removes this step's login. Never fails the job: problems become warnings. */
export async function post(): Promise<void> {
  try {
    const state = loadCleanupState()
    if (!state) return
    removePrivateDockerConfig(state.dockerConfigDir)
    core.info(`Removed this step's credentials for ${state.host}`)
  } catch (err) {
    core.warning(`cleanup: ${describeFailure(err)}`)
  }
}
