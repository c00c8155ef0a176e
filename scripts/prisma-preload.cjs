// Preloaded into the Prisma CLI by scripts/prisma.mjs (node --require).
// The wasm schema engine arms 60 s timeout guards that outlive the work they guard, so every migrate command
// would sit idle for a minute before exiting. Long timers never keep the process alive here; the work they
// race against (sockets, files, child processes) still does.
const LONG_TIMER_MS = 10_000

for (const name of ['setTimeout', 'setInterval']) {
  const original = globalThis[name]
  globalThis[name] = function (callback, delay, ...args) {
    const timer = original(callback, delay, ...args)
    if (delay >= LONG_TIMER_MS) timer.unref?.()
    return timer
  }
}
