/** One benchmark figure, printed as `name: value unit`. */
export interface Line {
  name: string;
  value: number;
  unit: string;
}

/** The p-th percentile (nearest rank) of a sample. */
export function percentile(sample: number[], p: number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[rank] ?? Number.NaN;
}

/** Prints figures as `name: value unit`, with sensible precision. */
export function print(lines: Line[]): void {
  for (const l of lines) {
    const digits = l.value >= 100 ? 0 : l.value >= 10 ? 1 : 2;
    console.log(`${l.name}: ${l.value.toFixed(digits)} ${l.unit}`);
  }
}
