import { describe, expect, it } from 'vitest'
import { seededRandom } from './random'

describe('seededRandom', () => {
  const draw = (seed: number) => {
    const random = seededRandom(seed)
    return [
      random.int(1000),
      random.pick(['a', 'b', 'c', 'd']),
      random.bytes(8).toString('hex'),
      random.chance(0.5),
    ]
  }

  it('replays the same draws from the same seed, and others from another', () => {
    expect(draw(42)).toEqual(draw(42))
    expect(draw(42)).not.toEqual(draw(43))
  })

  it('stays in range and reaches every value', () => {
    const random = seededRandom(7)
    const seen = new Set(Array.from({ length: 500 }, () => random.int(5)))
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4])
    expect(random.int(1)).toBe(0)
    expect(Array.from({ length: 1000 }, () => random.chance(0.1)).filter(Boolean).length).toBeLessThan(200)
  })
})
