/**
 * A second "server process" for the lease race: its own Node process, Prisma client and storage, driven over
 * stdin/stdout with one JSON command per line. Two connections in one thread cannot stand in for two processes
 * on SQLite: better-sqlite3 waits for a lock synchronously, blocking the very thread that holds it.
 */
import { createInterface } from 'node:readline'
import { createDb } from '~/db.server'
import { createPrismaSessionStorage } from '~/session-store.server'

export type LeaseCommand =
  { op: 'acquire'; id: string; ttlMs: number; now: number } | { op: 'release'; id: string }

const databaseUrl = process.argv[2]
if (!databaseUrl) throw new Error('usage: lease-process.ts <database url>')
const db = createDb(databaseUrl)
let clock = Date.now()
const storage = createPrismaSessionStorage({ db, secrets: ['unused'], secure: false, now: () => clock })

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as LeaseCommand
  let result: boolean | null = null
  if (command.op === 'acquire') {
    clock = command.now
    result = await storage.acquireRefreshLease(command.id, command.ttlMs)
  } else {
    await storage.releaseRefreshLease(command.id)
  }
  process.stdout.write(`${JSON.stringify({ result })}\n`)
}
await db.$disconnect()
