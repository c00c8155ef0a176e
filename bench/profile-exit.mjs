// Preloaded with --cpu-prof (BENCH_CPU_PROF): remix-serve only closes its server on SIGTERM, and open database
// pools keep the process alive until it is killed, which loses the profile. Exiting writes it.
process.once('SIGTERM', () => setTimeout(() => process.exit(0), 500))
