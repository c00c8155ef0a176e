// Preloaded with --cpu-prof (BENCH_CPU_PROF): server.js exits by itself on SIGTERM, but only once in-flight
// requests end (up to 8 s) and a SIGKILL before that loses the profile. Exiting early writes it.
process.once('SIGTERM', () => setTimeout(() => process.exit(0), 500))
