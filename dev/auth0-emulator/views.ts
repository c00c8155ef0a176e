import type { EmulatorOrganization, EmulatorUser } from './config'

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--text:#1c1e21;--muted:#5f6368;--border:#d0d4da;
--accent:#3b4fd8;--accent-text:#fff;--error:#b3261e}
@media (prefers-color-scheme:dark){:root{--bg:#15171a;--card:#202328;--text:#e8eaed;--muted:#a9adb3;
--border:#3c4047;--accent:#8ea1ff;--accent-text:#10131a;--error:#f2b8b5}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:min(100% - 2rem,26rem);background:var(--card);border:1px solid var(--border);border-radius:12px;
padding:2rem;margin:2rem 0}
h1{font-size:1.4rem;margin:0 0 .25rem}
p{margin:.25rem 0 1rem;color:var(--muted)}
.badge{display:inline-block;font-size:.8rem;border:1px solid var(--border);border-radius:999px;padding:.1rem .6rem;
margin:0 0 1rem}
form{display:grid;gap:.75rem;margin:0 0 1rem}
label{font-weight:600;font-size:.9rem}
input{font:inherit;padding:.6rem .75rem;border:1px solid var(--border);border-radius:8px;background:transparent;
color:inherit;width:100%}
button{font:inherit;font-weight:600;padding:.65rem 1rem;border-radius:8px;border:1px solid var(--accent);
background:var(--accent);color:var(--accent-text);cursor:pointer;width:100%;text-align:left}
button.secondary{background:transparent;color:var(--text);border-color:var(--border)}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button small{display:block;font-weight:400;opacity:.8}
.users{list-style:none;padding:0;margin:0 0 1rem;display:grid;gap:.5rem}
.users form{margin:0}
.error{color:var(--error);font-weight:600}
a{color:var(--accent)}
hr{border:0;border-top:1px solid var(--border);margin:1rem 0}
`

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Auth0 emulator</title>
<style>${STYLE}</style>
</head>
<body><main>${body}</main></body>
</html>`
}

export interface LoginView {
  action: string
  signupHref: string
  users: EmulatorUser[]
  connection?: string
  organization?: EmulatorOrganization
  email?: string
  error?: string
}

function context(view: { connection?: string; organization?: EmulatorOrganization }): string {
  const org = view.organization
    ? `<span class="badge">Organization: ${escapeHtml(view.organization.displayName ?? view.organization.name)}</span> `
    : ''
  const connection = view.connection
    ? `<span class="badge">Continue with ${escapeHtml(view.connection)}</span>`
    : ''
  return org || connection ? `<div>${org}${connection}</div>` : ''
}

function errorLine(error: string | undefined): string {
  return error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''
}

export function loginPage(view: LoginView): string {
  const buttons = view.users
    .map(
      (user) => `<li><form method="post" action="${escapeHtml(view.action)}">
<input type="hidden" name="email" value="${escapeHtml(user.email)}">
<button type="submit" class="secondary">${escapeHtml(user.name)}<small>${escapeHtml(user.email)}${
        user.emailVerified ? '' : ' · email not verified'
      }</small></button></form></li>`,
    )
    .join('\n')
  return page(
    'Log in',
    `<h1>Log in</h1>
<p>Local Auth0 emulator: pick a test user, no password needed.</p>
${context(view)}
${errorLine(view.error)}
<ul class="users" aria-label="Test users">${buttons}</ul>
<hr>
<form method="post" action="${escapeHtml(view.action)}">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(view.email ?? '')}">
<button type="submit">Continue</button>
</form>
<p>Don't have an account? <a href="${escapeHtml(view.signupHref)}">Sign up</a></p>`,
  )
}

export interface SignupView {
  action: string
  loginHref: string
  connection?: string
  organization?: EmulatorOrganization
  email?: string
  name?: string
  error?: string
}

export function signupPage(view: SignupView): string {
  return page(
    'Sign up',
    `<h1>Create your account</h1>
<p>Local Auth0 emulator: the new user lives until the emulator stops.</p>
${context(view)}
${errorLine(view.error)}
<form method="post" action="${escapeHtml(view.action)}">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(view.email ?? '')}">
<label for="name">Full name</label>
<input id="name" name="name" type="text" autocomplete="name" value="${escapeHtml(view.name ?? '')}">
<button type="submit">Sign up</button>
</form>
<p>Already have an account? <a href="${escapeHtml(view.loginHref)}">Log in</a></p>`,
  )
}

export function errorPage(error: string, description?: string): string {
  return page(
    'Error',
    `<h1>Something went wrong</h1>
<p class="error" role="alert">${escapeHtml(error)}</p>
${description ? `<p>${escapeHtml(description)}</p>` : ''}`,
  )
}

export function loggedOutPage(): string {
  return page('Logged out', `<h1>You are logged out</h1><p>The emulator's login session has ended.</p>`)
}

/** oidc-provider's logout confirmation, submitted straight away like Auth0 does; the button covers no-JS. */
export function logoutConfirmPage(form: string): string {
  const endEverySession = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>')
  return page(
    'Logging out',
    `<h1>Logging out…</h1>
${endEverySession}
<button type="submit" form="op.logoutForm">Log out</button>
<script>document.getElementById('op.logoutForm').submit()</script>`,
  )
}

const AVATAR_COLORS = ['#3b4fd8', '#0f7b6c', '#b3261e', '#8e24aa', '#ef6c00', '#00838f']

export function avatarSvg(user: EmulatorUser): string {
  const initials = user.name
    .split(/\s+/)
    .map((part) => part[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase()
  const color =
    AVATAR_COLORS[[...user.id].reduce((sum, char) => sum + char.charCodeAt(0), 0) % AVATAR_COLORS.length]
  return `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128" role="img" aria-label="${escapeHtml(user.name)}">
<rect width="128" height="128" rx="64" fill="${color}"/>
<text x="64" y="64" dy=".35em" text-anchor="middle" font-family="system-ui,sans-serif" font-size="52" fill="#fff">${escapeHtml(initials)}</text>
</svg>`
}
