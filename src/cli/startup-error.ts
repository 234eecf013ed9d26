/** An error that ends the process with one message a person can act on (exit code 2). */
export class StartupError extends Error {}

/** A command line that cannot be understood; the message says how to get help (exit code 2). */
export class UsageError extends StartupError {}
