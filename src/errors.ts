// The lab's typed-error base: every error it throws on purpose carries a machine-readable `code`
// beside a message that says what was expected and what was found. The code survives the trip
// across worker boundaries (workers/rpc.ts) and lets the UI word the problem.

export class LabError<C extends string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
