/** Status texts of the status bar (pure, unit-tested). */

/** A frame within this long counts as the microscope still acquiring. */
export const ACQUIRING_WINDOW_MS = 30_000;

/**
 * What the status bar says about the acquisition: "acquiring" only while frames
 * arrive; "no new frames for …" once they stop; "not watching" without a watcher.
 */
export function acquisitionText(watching: boolean, lastFrameAt: number | null, now: number, formatAge: (seconds: number) => string): { text: string; active: boolean } {
  if (!watching) return { text: 'not watching', active: false };
  if (lastFrameAt === null) return { text: 'watching · no new frames yet', active: false };
  const age = now - lastFrameAt;
  if (age < ACQUIRING_WINDOW_MS) return { text: 'acquiring', active: true };
  return { text: `watching · no new frames for ${formatAge(age / 1000)}`, active: false };
}
