// Coverage mode only (see child-coverage.ts): a process stopped with SIGTERM or SIGINT
// exits normally instead, so that V8 writes its NODE_V8_COVERAGE file.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(128 + (signal === 'SIGTERM' ? 15 : 2)))
}
