import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import {
  isRouteErrorResponse,
  Links,
  LiveReload,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useRouteError,
  useRouteLoaderData,
} from '@remix-run/react'
import type { ReactNode } from 'react'
import { authenticator } from '~/auth.server'
import { ErrorPage } from '~/components/error-page'
import { useNonce } from '~/components/nonce'
import { SiteFooter } from '~/components/site-footer'
import { SiteHeader, type HeaderUser } from '~/components/site-header'
import stylesheet from '~/tailwind.css'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
]

export const meta: MetaFunction = () => [
  { title: 'Remix Auth0 Stack' },
  { name: 'description', content: 'Production-grade Auth0 login for Remix, with server-side sessions.' },
]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await authenticator.getUserOrNull(request, context)
  const headerUser: HeaderUser | null = user
    ? { name: user.name ?? user.nickname ?? user.email ?? 'Account', picture: user.picture }
    : null
  return { user: headerUser }
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce()
  // Absent when the root loader itself failed (e.g. the database is down): the error page still renders.
  const data = useRouteLoaderData<typeof loader>('root')
  return (
    <html lang="en" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <Meta />
        <Links />
      </head>
      <body className="flex min-h-full flex-col">
        <a
          href="#main"
          className="sr-only z-50 rounded-md bg-indigo-600 px-4 py-2 text-white focus:not-sr-only focus:absolute focus:top-3 focus:left-3"
        >
          Skip to content
        </a>
        <SiteHeader user={data?.user ?? null} />
        <main id="main" tabIndex={-1} className="mx-auto w-full max-w-5xl flex-1 px-4 py-10 sm:px-6 sm:py-16">
          {children}
        </main>
        <SiteFooter />
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
        {/* `remix dev` only: renders nothing in production builds. */}
        <LiveReload nonce={nonce} />
      </body>
    </html>
  )
}

export default function App() {
  return <Outlet />
}

/** What each status means to a person; anything else is "something went wrong". */
const statusPages: Record<number, { title: string; message: string; retry: boolean }> = {
  403: {
    title: 'Not allowed',
    message:
      'This request did not come from this site, so it was refused. Go back and try from the page itself.',
    retry: false,
  },
  404: {
    title: 'Page not found',
    message: "The page you are looking for doesn't exist or has moved.",
    retry: false,
  },
  429: {
    title: 'Too many requests',
    message: 'You have tried this a lot in a short time. Please wait a minute, then try again.',
    retry: true,
  },
  503: {
    title: 'Service unavailable',
    message: "We can't reach our systems right now. This is usually over in a moment: please try again.",
    retry: true,
  },
}

export function ErrorBoundary() {
  const error = useRouteError()
  if (isRouteErrorResponse(error)) {
    const page = statusPages[error.status] ?? {
      title: 'Something went wrong',
      message: "We couldn't complete that request. Please try again.",
      retry: true,
    }
    return <ErrorPage status={error.status} {...page} />
  }
  const details = process.env.NODE_ENV === 'development' && error instanceof Error ? error.stack : undefined
  return (
    <ErrorPage
      status={500}
      title="Something went wrong"
      message="An unexpected error occurred on our side. Please try again in a moment."
      retry
      details={details}
    />
  )
}
