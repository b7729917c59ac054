// Stands in for a server that starts and never says it is ready (see neverReady() in processes.ts).
setInterval(() => {}, 60_000);
