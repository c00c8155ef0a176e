import { useId, type ReactNode } from 'react'

interface CardProps {
  title?: string
  description?: ReactNode
  children: ReactNode
  className?: string
}

/** A titled card is a named region, so screen-reader users can jump between cards. */
export function Card({ title, description, children, className = '' }: CardProps) {
  const titleId = useId()
  return (
    <section
      aria-labelledby={title ? titleId : undefined}
      className={`rounded-2xl bg-white p-6 shadow-sm ring-1 ring-zinc-200 sm:p-8 dark:bg-zinc-900 dark:ring-zinc-800 ${className}`.trim()}
    >
      {title ? (
        <header className="mb-4">
          <h2 id={titleId} className="text-base font-semibold text-zinc-900 dark:text-zinc-100">
            {title}
          </h2>
          {description ? (
            <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{description}</p>
          ) : null}
        </header>
      ) : null}
      {children}
    </section>
  )
}
