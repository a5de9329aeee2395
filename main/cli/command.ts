/** Contract every `postfocus` sub-command module implements. */
export interface Command {
  /** One line shown in `postfocus --help`. */
  summary: string;
  /** Full text shown by `postfocus <command> --help`. */
  help: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Exit codes shared by all commands. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** The command ran but found problems (e.g. errors recorded during ingest). */
  completedWithErrors: 3,
} as const;
