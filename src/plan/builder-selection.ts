import type {BuilderCommand, BuilderSettings, ConcreteBuilder} from './builder-commands.js'
import type {BuildxPlan} from './buildx-builder.js'

/** The builder a run uses, with the command lines of its builds and what was set up for it. */
export interface BuilderSelection {
  builder: ConcreteBuilder
  settings: BuilderSettings
  /** buildx: the builder the builds run on, and whether it was (or would be) created. */
  buildx?: BuildxPlan
  /** The GitHub cache service's variables, handed to buildx with a GitHub cache. */
  ghaCache?: Record<string, string>
  /** Set-up commands: run (a real run) or to run (a dry run). */
  setup: BuilderCommand[]
  /** What the user should know about the choice (warnings). */
  notes: string[]
}
