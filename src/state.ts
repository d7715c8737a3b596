import * as core from '@actions/core'

/** What main hands to the post step. Saved before the login, so a failure halfway is cleaned up. */
export interface SavedState {
  /** This step's private docker config dir (holds our login). */
  dockerConfigDir: string
  host: string
}

const POST_MARKER = 'isPost'
const STATE_KEY = 'cleanup'

export function markMainStarted(): void {
  core.saveState(POST_MARKER, 'true')
}

export function isPostStep(): boolean {
  return core.getState(POST_MARKER) === 'true'
}

export function saveCleanupState(state: SavedState): void {
  core.saveState(STATE_KEY, JSON.stringify(state))
}

export function loadCleanupState(): SavedState | undefined {
  const raw = core.getState(STATE_KEY)
  if (!raw) return undefined
  try {
    return JSON.parse(raw) as SavedState
  } catch {
    return undefined
  }
}

/** A buildx builder this step created; the post step removes it. */
export interface SavedBuilder {
  name: string
  /** The environment buildx knows it by. */
  dockerConfigDir: string
  buildxConfig: string
}

const BUILDER_KEY = 'buildx-builder'

export function saveBuilderState(builder: SavedBuilder): void {
  core.saveState(BUILDER_KEY, JSON.stringify(builder))
}

export function loadBuilderState(): SavedBuilder | undefined {
  const raw = core.getState(BUILDER_KEY)
  if (!raw) return undefined
  try {
    return JSON.parse(raw) as SavedBuilder
  } catch {
    return undefined
  }
}
