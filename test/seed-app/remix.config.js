import stack from '../../remix.config.js'

/**
 * An app written from the original auth0-remix-server README, built on its own (`remix build test/seed-app`). The
 * output goes under the repository's ignored build/ and .cache/ folders.
 * @type {import('@remix-run/dev').AppConfig}
 */
export default {
  future: stack.future,
  serverModuleFormat: 'esm',
  serverBuildPath: '../../build/seed-app/index.js',
  assetsBuildDirectory: '../../build/seed-app/public/build',
  cacheDirectory: '../../.cache/seed-app',
  postcss: false,
  tailwind: false,
}
