/**
 * "Did you mean" hints for misspelt keys and names, by edit distance.
 */

/**
 * Levenshtein distance (insertions, deletions, substitutions) that also counts swapping two
 * adjacent letters as one edit (the "optimal string alignment" variant), because `trian` for
 * `train` is the typo people make most.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row[j] = best;
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo: at most a
 * third of the longer word's length (and at least 1 edit), compared case-insensitively. Ties go
 * to the candidate listed first.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** `unknown key 'dataset'; did you mean 'datasets'?` or, with no close match, the known keys. */
export function unknownNameMessage(kind: string, word: string, known: readonly string[]): string {
  const suggestion = nearest(word, known);
  if (suggestion !== undefined) return `unknown ${kind} '${word}'; did you mean '${suggestion}'?`;
  if (known.length === 0) return `unknown ${kind} '${word}'`;
  return `unknown ${kind} '${word}'; expected one of: ${known.join(', ')}`;
}

/** `; did you mean '--x'?` for appending to a message, or nothing when no name is close. */
export function didYouMean(word: string, candidates: readonly string[], quote = (name: string) => `'${name}'`): string {
  const suggestion = nearest(word, candidates);
  return suggestion === undefined ? '' : `; did you mean ${quote(suggestion)}?`;
}
