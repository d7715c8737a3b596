export const BEGIN: string
export const END: string
/** The README's speed figures (markdown) made from a bench results object. */
export function speedFigures(results: unknown): string
/** Markdown with table padding, line breaks and spacing normalised, for comparing. */
export function normalised(markdown: string): string
