import { useEffect, useState } from 'react'

// Server and first client render must match: both print UTC, then the browser switches to its own time zone.
const utcFormat = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'medium',
  timeZone: 'UTC',
})
const localFormat = () => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  return hydrated
}

export function LocalTime({ ms }: { ms: number }) {
  const hydrated = useHydrated()
  const date = new Date(ms)
  return (
    <time dateTime={date.toISOString()} className="tabular-nums">
      {hydrated ? localFormat().format(date) : `${utcFormat.format(date)} UTC`}
    </time>
  )
}

function formatRemaining(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000)
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = String(totalSeconds % 60).padStart(2, '0')
  return hours > 0 ? `${hours} h ${minutes} min` : `${minutes}:${seconds}`
}

/** The deadline as a date; with JavaScript, a live "in mm:ss" next to it. */
export function Countdown({ to }: { to: number }) {
  const [now, setNow] = useState<number | null>(null)
  useEffect(() => {
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [])
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2 gap-y-1 sm:justify-end">
      <LocalTime ms={to} />
      {now === null ? null : (
        <span className="rounded-full bg-zinc-100 px-2 py-0.5 text-xs font-medium whitespace-nowrap text-zinc-700 tabular-nums dark:bg-zinc-800 dark:text-zinc-300">
          {to - now > 0 ? `in ${formatRemaining(to - now)}` : 'expired'}
        </span>
      )}
    </span>
  )
}
