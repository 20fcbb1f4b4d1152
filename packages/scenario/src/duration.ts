/**
 * Durations as files write them: seconds as a number, or number+unit parts such as 500ms, 90s, 5m,
 * 2h, 1h30m. The schema checks the form; this turns it into seconds.
 */
import type { IssueList, PathSegment } from "./issues.js";

/** A duration as written in a file. */
export type Duration = number | string;

const durationUnitsS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from a number (seconds) or a string such as "500ms", "90s", "5m", "2h", "1h30m". */
export function parseDuration(value: number | string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a duration`);
    return value;
  }
  const text = value.trim();
  const part = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*/gy;
  let seconds = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = part.exec(text)) !== null) {
    seconds += Number(match[1]) * durationUnitsS[match[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) throw new RangeError(`"${value}" is not a duration: use 500ms, 90s, 5m, 2h or 1h30m`);
  if (!Number.isFinite(seconds)) throw new RangeError(`"${value}" is not a finite duration`);
  return seconds;
}

/** `parseDuration`, with a problem recorded at `path` (and 0 returned) instead of a throw. */
export function durationAt(issues: IssueList, path: readonly PathSegment[], value: Duration): number {
  try {
    return parseDuration(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    issues.add(path, error.message);
    return 0;
  }
}
