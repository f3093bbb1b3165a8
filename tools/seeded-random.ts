// A small deterministic random source (a linear congruential generator): the demo's day and the
// randomized test replay the same draws from the same seed.
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}
