import { databaseUnavailable, describeDbError } from '~/db.server'
import { SessionConflictError } from '~/lib/auth0'

/**
 * Runs a database call of the session store. A failure (database down, locked, timed out) becomes a thrown 503
 * Response that the app's ErrorBoundary renders as a friendly page, instead of a 500; version conflicts pass through.
 */
export async function orServiceUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof SessionConflictError || error instanceof Response) throw error
    console.error(`Session store unavailable (${describeDbError(error)})`)
    throw databaseUnavailable()
  }
}
