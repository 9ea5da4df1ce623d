// The leak fixtures are plain JavaScript (run unchanged in process and under the runtime
// client); each exports a Lambda handler `base`.
declare module '*.mjs' {
  export const base: (event: { body: string }) => Promise<unknown>
}
