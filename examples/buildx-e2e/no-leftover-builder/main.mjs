// Main step: nothing to do but be registered before the ocir-push steps (see action.yml).
import process from 'node:process'

process.stdout.write(
  'Armed: at the end of the job, after the ocir-push post steps, no ocir-push- builder may remain.\n',
)
