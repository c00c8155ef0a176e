/** Runs at most one `task` per key at a time in this process; concurrent callers share its promise. */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>()

  run(key: string, task: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key)
    if (existing) return existing
    const promise = task().finally(() => this.running.delete(key))
    this.running.set(key, promise)
    return promise
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
