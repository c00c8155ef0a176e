import product from '../../remix.config.js'

/**
 * The test build (`npm run build:test`): the product app plus routes that only tests and the benchmark use, so the
 * product build (`npm run build`) has none of them. Remix reads this folder as the project root: package.json and
 * tsconfig.json here point at the repository's (the server runtime, the `~/` alias), PostCSS finds the root's
 * config by looking upwards. Run `remix build` in this folder, not `remix build test/app` from the root: Remix's
 * browser compiler resolves CSS output against the working directory, and the build then fails now and then
 * ("entry file not found"). Output: build/ and public/build/ here, so `node server.js` started in this folder
 * serves it (test/support/app-server.ts, `testBuild`).
 */
/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ...product,
  appDirectory: '../../app',
  // Route files are relative to appDirectory; without an id, a route (and its client chunk) is named by that path.
  routes: (defineRoutes) =>
    defineRoutes((route) => {
      route('auth/test-counter', '../test/app/routes/auth.test-counter.ts', { id: 'test/auth.test-counter' })
      route('bench/dashboard', '../bench/app/dashboard.tsx', { id: 'bench/dashboard' })
    }),
}
