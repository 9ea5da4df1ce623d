/** Types of runtime-client.mjs (plain JavaScript, shared with the demo and the install script). */

/** The folder with the runtime client's own package.json and lockfile. */
export declare const RUNTIME_CLIENT_DIR: string
/** How to get the runtime client, for messages. */
export declare const RUNTIME_CLIENT_HELP: string
/** `{ entry }`: the client's entry module; or `{ missing }`: what is missing, in one sentence. */
export declare const runtimeClientStatus: () =>
  | { entry: string; missing: undefined }
  | { entry: undefined; missing: string }
