import { randomInt } from 'node:crypto'
import prand from 'pure-rand'

/**
 * Seeded randomness for fuzzers: the same seed gives the same inputs, so a failure can be replayed with
 * `FUZZ_SEED=<seed>`. Each fuzzer prints its seed with its failures.
 */
export interface SeededRandom {
  readonly seed: number
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  bytes(length: number): Buffer
}

export function seededRandom(seed = fuzzSeed()): SeededRandom {
  const generator = prand.xoroshiro128plus(seed)
  const int = (maxExclusive: number) =>
    maxExclusive <= 1 ? 0 : prand.unsafeUniformIntDistribution(0, maxExclusive - 1, generator)
  return {
    seed,
    int,
    chance: (p) => int(1_000_000) < p * 1_000_000,
    pick: (items) => items[int(items.length)]!,
    bytes: (length) => Buffer.from(Array.from({ length }, () => int(256))),
  }
}

/** FUZZ_SEED when replaying a run, else a fresh one. */
function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED
  if (given === undefined || given === '') return randomInt(2 ** 31)
  const seed = Number(given)
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer (got ${given})`)
  return seed
}
