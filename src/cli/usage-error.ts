/** A mistake in the command line: reported with the command's usage, exit code 2, before connecting. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}
