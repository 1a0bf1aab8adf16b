/**
 * promptflow echoes whatever it is given: init kwargs appear in the run JSON it prints, and a
 * flow's exception text may quote a connection value. Every text we pass on from a promptflow
 * process goes through here first, even though the host masks registered secrets too: the
 * executor also runs where no host masking exists (library use, tests).
 */
export const REDACTED = '***';

/** Values shorter than this are not redacted: replacing "1" or "true" everywhere helps nobody. */
const MIN_SECRET_LENGTH = 4;

export function redactSecrets(text: string, secretValues: Iterable<string>): string {
  let result = text;
  // Longest first, so a secret that contains another is hidden whole.
  const values = [...new Set(secretValues)]
    .filter((value) => value.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const value of values) result = result.split(value).join(REDACTED);
  return result;
}
