import { Link, NavLink, useLocation } from '@remix-run/react'
import { Avatar } from './avatar'
import { buttonClass } from './button'

export interface HeaderUser {
  name: string
  picture?: string
}

const navLink = ({ isActive }: { isActive: boolean }) =>
  `rounded-md px-3 py-2 text-sm font-medium motion-safe:transition ${
    isActive
      ? 'text-zinc-900 dark:text-white'
      : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-white'
  }`

export function SiteHeader({ user }: { user: HeaderUser | null }) {
  const onLoginPage = useLocation().pathname === '/login'
  return (
    <header className="border-b border-zinc-200 bg-white/80 backdrop-blur dark:border-zinc-800 dark:bg-zinc-950/80">
      <div className="mx-auto flex h-16 max-w-5xl items-center justify-between gap-4 px-4 sm:px-6">
        <Link to="/" className="flex items-center gap-2 rounded-md font-semibold tracking-tight">
          <img src="/favicon.svg" alt="" width={28} height={28} className="size-7" />
          <span>Remix Auth0 Stack</span>
        </Link>
        <nav aria-label="Main" className="flex items-center gap-1">
          {user ? (
            <>
              <NavLink to="/dashboard" className={navLink}>
                Dashboard
              </NavLink>
              <Link to="/dashboard" className="ml-1 rounded-full" aria-label={`Signed in as ${user.name}`}>
                <Avatar src={user.picture} name={user.name} />
              </Link>
            </>
          ) : onLoginPage ? null : (
            <Link to="/login" className={buttonClass('primary')}>
              Log in
            </Link>
          )}
        </nav>
      </div>
    </header>
  )
}
