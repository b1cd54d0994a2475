/**
 * A moment as admins read it in a sentence: `2026-12-03 08:32 UTC`. Pages show it in the
 * viewer's own time zone where they can, with the exact time in a tooltip.
 */
export function readableTime(at: Date | string): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
