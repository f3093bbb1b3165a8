// Waiting for Ctrl-C: resolves on the first SIGINT or SIGTERM, and keeps ignoring the next ones
// (a terminal signals the whole process group, and tsx relays it once more) so that the caller's
// cleanup — closing the server, stopping an embedded PostgreSQL and removing its files — runs to
// its end instead of being cut by the default handler.
export function interrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => resolve(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
