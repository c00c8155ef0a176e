const sizes = {
  sm: 'size-8 text-xs',
  lg: 'size-16 text-xl',
} as const

interface AvatarProps {
  src?: string
  name: string
  size?: keyof typeof sizes
}

function initials(name: string): string {
  const letters = name
    .split(/[\s@._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase())
  return letters.join('') || '?'
}

/** Fixed-size box either way, so the page never shifts while the picture loads. */
export function Avatar({ src, name, size = 'sm' }: AvatarProps) {
  const box = `${sizes[size]} shrink-0 rounded-full`
  if (src) {
    const pixels = size === 'lg' ? 64 : 32
    return (
      <img
        src={src}
        alt=""
        width={pixels}
        height={pixels}
        referrerPolicy="no-referrer"
        className={`${box} bg-zinc-200 object-cover ring-2 ring-white dark:bg-zinc-800 dark:ring-zinc-900`}
      />
    )
  }
  return (
    <span
      aria-hidden="true"
      className={`${box} inline-flex items-center justify-center bg-indigo-100 font-semibold text-indigo-700 dark:bg-indigo-500/20 dark:text-indigo-300`}
    >
      {initials(name)}
    </span>
  )
}
