/**
 * The files an image's layers leave, stacked bottom first as a container runtime unpacks them
 * (OCI image spec, "Applying changesets"): an entry of an upper layer replaces what a lower one has
 * at its path (a non-directory also hides everything the lower layers have below it),
 * `.wh.<name>` deletes `<name>` of the lower layers, and `.wh..wh..opq` empties a directory of
 * what the lower layers put in it. A whiteout never touches its own layer.
 *
 * Only the files of interest are held, each as a value (what a cataloger found in it), never
 * their bytes: a layer's other entries only say which held files they replace. Paths are
 * normalised and relative to the root ('' is the root itself).
 */

interface LayerChanges<T> {
  /** Lower files replaced or deleted at exactly these paths. */
  replaced: Set<string>
  /** Directories whose lower content is gone ('' for all of it). */
  emptied: Set<string>
  /** Files of interest this layer adds. */
  kept: Map<string, T>
}

/** The parent directories of a path, nearest first ('' last). */
function parents(path: string): string[] {
  const found: string[] = []
  for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
    found.push(path.slice(0, slash))
  }
  found.push('')
  return found
}

export class LayeredFiles<T> {
  private readonly files = new Map<string, T>()
  /** Every directory that holds a file of `files`, at any depth. */
  private directories = new Set<string>()
  private layer: LayerChanges<T> = {replaced: new Set(), emptied: new Set(), kept: new Map()}

  /** An entry of the current layer that is not of interest (a directory, a link, any file). */
  entry(path: string, isDirectory: boolean): void {
    if (this.files.has(path)) this.layer.replaced.add(path)
    if (!isDirectory && path !== '' && this.directories.has(path)) this.layer.emptied.add(path)
    this.layer.kept.delete(path)
  }

  /** A regular file of the current layer that is of interest, with what was found in it. */
  keep(path: string, value: T): void {
    this.entry(path, false)
    this.layer.kept.set(path, value)
  }

  /** `.wh.<name>`: the lower layers' `path`, and all below it, are deleted. */
  whiteout(path: string): void {
    if (this.files.has(path)) this.layer.replaced.add(path)
    if (this.directories.has(path)) this.layer.emptied.add(path)
  }

  /** `.wh..wh..opq`: the lower layers' content of `directory` is gone. */
  opaque(directory: string): void {
    if (this.directories.has(directory)) this.layer.emptied.add(directory)
  }

  /** A file of interest as the current layer sees it (for hard links), if held. */
  find(path: string): T | undefined {
    return this.layer.kept.get(path) ?? this.files.get(path)
  }

  /** Applies the current layer's changes to the lower layers; the next entries are a new layer. */
  endLayer(): void {
    const {replaced, emptied, kept} = this.layer
    for (const path of replaced) this.files.delete(path)
    if (emptied.size > 0) {
      for (const path of [...this.files.keys()]) {
        if (parents(path).some((directory) => emptied.has(directory))) this.files.delete(path)
      }
    }
    for (const [path, value] of kept) this.files.set(path, value)
    this.directories = new Set([...this.files.keys()].flatMap(parents))
    this.layer = {replaced: new Set(), emptied: new Set(), kept: new Map()}
  }

  /** A copy of the files held after the layers applied so far, to go on from (a shared base). */
  clone(): LayeredFiles<T> {
    const copy = new LayeredFiles<T>()
    for (const [path, value] of this.files) copy.files.set(path, value)
    copy.directories = new Set(this.directories)
    return copy
  }

  /** The files held once every layer was applied, sorted by path. */
  entries(): [string, T][] {
    return [...this.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }
}
