import * as core from '@actions/core'
import {dockerToolEnvironment, removePrivateDockerConfig} from './adapters/docker-config.js'
import {runTool} from './adapters/select-engine.js'
import {withholdVariables} from './adapters/run-command.js'
import {secretEnvVariables} from './config/build-secrets.js'
import {describeFailure} from './errors.js'
import {buildxRemoveCommand} from './plan/buildx-builder.js'
import {loadBuilderState, loadCleanupState} from './state.js'

/** Removes the builder this step created, then its login. Never fails the job: problems become warnings. */
export async function post(): Promise<void> {
  // The post step sees the step's env: too; secret-envs variables stay out of `docker buildx rm`.
  withholdVariables(secretEnvVariables(core.getInput('secret-envs')))
  const builder = loadBuilderState()
  if (builder) {
    try {
      await runTool(
        buildxRemoveCommand(builder.name),
        dockerToolEnvironment({
          configDir: builder.dockerConfigDir,
          buildxConfig: builder.buildxConfig,
        }),
      )
      core.info(`Removed the buildx builder ${builder.name} this step created`)
    } catch (err) {
      core.warning(
        `cleanup: the buildx builder ${builder.name} was not removed (remove it with \`docker buildx rm ${builder.name}\`): ${describeFailure(err)}`,
      )
    }
  }
  try {
    const state = loadCleanupState()
    if (!state) return
    removePrivateDockerConfig(state.dockerConfigDir)
    core.info(`Removed this step's credentials for ${state.host}`)
  } catch (err) {
    core.warning(`cleanup: ${describeFailure(err)}`)
  }
}
