/**
 * Where each entry of a salvaged list stood in the file. Salvage keeps only the usable entries of a
 * list that failed the schema (`children: ["billing desk", billng]` keeps `billng`); lint must still
 * point at each kept entry where it is written, and name its index in the file, never its index in
 * the shorter list.
 */

const ORIGINAL_INDICES = new WeakMap<readonly unknown[], readonly number[]>();

/** Records that entry `i` of `kept` is entry `indices[i]` of the list in the file. */
export function keepIndices(kept: readonly unknown[], indices: readonly number[]): void {
  ORIGINAL_INDICES.set(kept, indices);
}

/** The index in the file of entry `index` of `list` (the same index for a list nothing was dropped from). */
export function originalIndex(list: readonly unknown[], index: number): number {
  return ORIGINAL_INDICES.get(list)?.[index] ?? index;
}

/** The entries of `list`, each with its index in the file: what `list.entries()` gives for a list nothing was dropped from. */
export function fileEntries<T>(list: readonly T[]): [number, T][] {
  return list.map((entry, index) => [originalIndex(list, index), entry]);
}
