/**
 * Large scenario files, for tests and benchmarks of the large-file reader: a small mf job on two
 * data centers with a generated schedule of `n` scripted faults, one line each (by default a 1 ms
 * partition every millisecond, about 58 bytes a line: 500,000 faults make a 28 MB file).
 */

/** The job every generated file runs: ten iterations of a tiny mf on two ec2-11 data centers. */
export const smallScenario = `name: big
topology: { preset: ec2-11, dataCenters: [virginia, tokyo], machinesPerDataCenter: 1 }
workload: { kind: mf, users: 40, items: 20, ratings: 300, rank: 2, batchSize: 10 }
sync: { model: asp }
stop: { maxIterations: 10 }
`;

/** The default fault of line `i`: virginia and tokyo cut for 1 ms at i ms. */
export const partitionLine = (i: number): string => `  - { at: ${(i * 0.001).toFixed(3)}s, partition: [virginia, tokyo], for: 1ms }`;

/** The small scenario with `n` faults, line `i` written by `fault(i)` (a YAML sequence item). */
export function scenarioWithFaults(n: number, fault: (i: number) => string = partitionLine): string {
  const lines: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) lines[i] = fault(i);
  return `${smallScenario}faults:\n${lines.join("\n")}\n`;
}
