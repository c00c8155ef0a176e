export function SiteFooter() {
  return (
    <footer className="border-t border-zinc-200 dark:border-zinc-800">
      <div className="mx-auto flex max-w-5xl flex-col gap-2 px-4 py-6 text-sm text-zinc-500 sm:flex-row sm:justify-between sm:px-6 dark:text-zinc-400">
        <p>Auth0 Remix Server stack: server-side sessions, refresh tokens, back-channel logout.</p>
        <p>
          <a href="/healthz" className="underline-offset-4 hover:underline">
            Health
          </a>
        </p>
      </div>
    </footer>
  )
}
